/**
 * The shipped program is the bundle scripts/bundle.sh writes (cross-compile.sh compiles it).
 * Its shape decides what a device loads, so it is tested: stamped version, nothing but `node:`
 * built-ins and its own chunks, the agent's dockerode outside what `ledge run` loads without an
 * engine, ssh2 replaced by its stand-in, zod's locales tree-shaken away. (scripts/test.sh also runs the end-to-end tests
 * against the bundle with LEDGE_TEST_ENTRY.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DENO, ROOT } from "../helpers/ledge.ts";

const out = join(mkdtempSync(join(tmpdir(), "ledge-bundle-")), "bundle");

/** Import statements of minified ES modules: `import{a as b}from"./x.js";`, `import"./x.js";`. */
const STATIC_IMPORT = /(?:^|;)\s*import\s*(?:[\w$*\s{},]+?from\s*)?"([^"]+)"/g;
const DYNAMIC_IMPORT = /\bimport\("([^"]+)"\)/g;

/** Relative chunks a chunk imports statically. */
function staticImports(code: string): string[] {
  return [...code.matchAll(STATIC_IMPORT)].map((m) => m[1]).filter((s) => s.startsWith("./"))
    .map((s) => s.slice(2));
}

/** Every chunk loaded when `entry` is, through static imports only. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const dep of staticImports(readFileSync(join(out, f), "utf8"))) visit(dep);
  };
  visit(entry);
  return seen;
}

Deno.test("scripts/bundle.sh: the shipped bundle", async (t) => {
  const built = spawnSync("bash", [join(ROOT, "scripts/bundle.sh"), "--out", out], {
    env: { ...process.env, LEDGE_REVISION: "test-rev", DENO },
    encoding: "utf8",
  });
  assert.equal(built.status, 0, built.stderr);
  const chunks = readdirSync(out).filter((f) => f.endsWith(".js"));
  const code = (f: string) => readFileSync(join(out, f), "utf8");
  try {
    await t.step("stamped: `ledge version` prints the version and revision", () => {
      const denoJson = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
      const stamp = JSON.parse(readFileSync(join(out, "version.json"), "utf8"));
      assert.equal(stamp.version, denoJson.version);
      assert.equal(stamp.revision, "test-rev");
      const r = spawnSync(DENO, ["run", "-A", "--no-config", join(out, "main.js"), "version"], {
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^ledge ${denoJson.version} \\(test-rev\\) deno `));
    });

    await t.step("imports only node: built-ins and its own chunks", () => {
      for (const f of chunks) {
        for (const m of [...code(f).matchAll(STATIC_IMPORT), ...code(f).matchAll(DYNAMIC_IMPORT)]) {
          assert.ok(/^(node:|\.\/[^/]+\.js$)/.test(m[1]), `${f} imports ${m[1]}`);
        }
        assert.doesNotMatch(code(f), /\bnpm:/, `${f} refers to an npm: specifier`);
      }
    });

    await t.step("dockerode is loaded only when the agent starts", () => {
      const docker = chunks.filter((f) => code(f).includes('path:"/containers/create?"'));
      assert.equal(docker.length, 1, `dockerode in ${docker.join(", ") || "no chunk"}`);
      const daemon = chunks.find((f) => f.startsWith("daemon-"));
      assert.ok(daemon, "no daemon chunk");
      for (const entry of ["main.js", daemon]) {
        const loaded = closure(entry);
        assert.ok(loaded.size > 2, `${entry}: import parsing found only ${[...loaded]}`);
        assert.ok(!loaded.has(docker[0]), `${entry} loads ${docker[0]} statically`);
      }
    });

    await t.step("ssh2 is the stand-in (deno.json links), not an SSH implementation", () => {
      // docker-modem loads ssh2 for ssh:// engines; ledge only uses unix sockets.
      for (const f of chunks) assert.ok(!code(f).includes("SSH-2.0-"), `${f} carries ssh2`);
      assert.ok(
        chunks.some((f) => code(f).includes("Docker over SSH is not supported by ledge")),
        "the ssh2 stand-in is not in the bundle",
      );
    });

    await t.step("zod's translations are not in it (tree-shaken)", () => {
      for (const f of chunks) {
        assert.ok(!code(f).includes("Ung\\xFCltige Eingabe"), `${f} carries zod's locales`);
      }
    });
  } finally {
    rmSync(join(out, ".."), { recursive: true, force: true });
  }
});
