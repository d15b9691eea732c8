/**
 * cross-compile.sh never leaves a broken artifact: without a runtime it refuses and builds
 * nothing; the full deno CLI is refused as a runtime; and a binary that fails its smoke test
 * (built here on a stand-in runtime, since denort cannot be downloaded on our machines) is
 * removed — which also runs the real bundle + `deno compile` steps and checks what got embedded.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DENO, ROOT } from "../helpers/ledge.ts";

/** Runs cross-compile.sh for x86_64 into a temp dist/ with only the runtime given in `env`. */
function crossCompile(env: Record<string, string>) {
  const dist = mkdtempSync(join(tmpdir(), "ledge-dist-"));
  const clean = { ...process.env };
  for (const k of ["DENORT_BIN", "DENORT_BIN_X86_64", "DENORT_BIN_AARCH64"]) delete clean[k];
  const args = ["--target", "x86_64-unknown-linux-gnu"];
  const r = spawnSync("bash", [join(ROOT, "cross-compile.sh"), ...args], {
    env: { ...clean, LEDGE_DIST: dist, ...env },
    encoding: "utf8",
    timeout: 300_000,
  });
  const artifacts = existsSync(dist) ? readdirSync(dist).filter((f) => f.startsWith("ledge-")) : [];
  return { ...r, dist, artifacts };
}

Deno.test("cross-compile.sh: no runtime → exit 3, says why, builds nothing", () => {
  const r = crossCompile({ DENORT_BIN: "/nonexistent/denort" });
  try {
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /cannot build x86_64-unknown-linux-gnu: \/nonexistent\/denort/);
    assert.match(r.stderr, /no artifact was built/);
    assert.deepEqual(r.artifacts, []);
  } finally {
    rmSync(r.dist, { recursive: true, force: true });
  }
});

Deno.test("cross-compile.sh: the full deno CLI is refused as a runtime", () => {
  const r = crossCompile({ DENORT_BIN_X86_64: DENO });
  try {
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /is the full deno CLI, not denort/);
    assert.deepEqual(r.artifacts, []);
  } finally {
    rmSync(r.dist, { recursive: true, force: true });
  }
});

Deno.test("cross-compile.sh: a binary that fails its smoke test is removed", () => {
  // A stand-in "runtime" that runs but is not ledge: deno compile appends the bundle to it,
  // `version` prints nothing, so the binary must not reach dist/.
  const work = mkdtempSync(join(tmpdir(), "ledge-fake-denort-"));
  const fake = join(work, "denort");
  copyFileSync("/bin/true", fake);
  const r = crossCompile({ DENORT_BIN_X86_64: fake });
  try {
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /'version' printed '', expected .*; removed/);
    assert.deepEqual(r.artifacts, []);
    // What deno compile embedded: the bundle and its stamp, nothing from node_modules.
    const log = readFileSync(join(r.dist, "build/compile-x86_64-unknown-linux-gnu.log"), "utf8");
    assert.match(log, /main\.js/);
    assert.match(log, /version\.json/);
    assert.doesNotMatch(log, /node_modules/);
    const files = /Files: ([\d.]+)(KB|MB)/.exec(log);
    assert.ok(files, log);
    assert.ok(files[2] === "KB" || Number(files[1]) < 4, `embedded ${files[0]}`);
  } finally {
    rmSync(r.dist, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
});
