/**
 * `ledge run` with a wrong configuration exits non-zero before opening any port, with a
 * message naming the key, the value and what was expected; `ledge config default` prints a
 * configuration that loads back as valid.
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../../src/config/mod.ts";
import { freePort, runCli } from "../../helpers/ledge.ts";

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      ok(true);
    });
    s.once("error", () => ok(false));
  });
}

Deno.test("ledge run --config bad.yaml: exits non-zero naming key, value and expectation", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ledge-badcfg-"));
  try {
    const port = await freePort();
    const cases: Array<{ yaml: string; key: string; value: string; expected: RegExp }> = [
      {
        yaml: `listen:\n  mqtt: 127.0.0.1:${port}\nmqtt:\n  max_inflight: lots\n`,
        key: "mqtt.max_inflight",
        value: '"lots"',
        expected: /expected number/i,
      },
      {
        yaml: `listen:\n  mqtts: "localhost"\n  mqtt: 127.0.0.1:${port}\n`,
        key: "listen.mqtts",
        value: '"localhost"',
        expected: /expected host:port/,
      },
      {
        yaml: `listen:\n  mqtt: 127.0.0.1:${port}\nmqtt:\n  connect_timeout_ms: 5\n`,
        key: "mqtt.connect_timeout_ms",
        value: "5",
        expected: />=\s*100|at least 100|too small/i,
      },
    ];
    for (const c of cases) {
      const file = join(dir, "bad.yaml");
      writeFileSync(file, `data_dir: ${join(dir, "data")}\n${c.yaml}`);
      let sawListener = false;
      const probe = setInterval(async () => {
        if (await listening(port)) sawListener = true;
      }, 20);
      const r = await runCli(["run", "--config", file], { cwd: dir, timeoutMs: 30_000 });
      clearInterval(probe);
      const msg = r.stderr + r.stdout;
      assert.notEqual(r.code, 0, `exit code for ${c.key}: ${msg}`);
      assert.ok(msg.includes(c.key), `names the key ${c.key}: ${msg}`);
      assert.ok(msg.includes(c.value), `names the value ${c.value}: ${msg}`);
      assert.match(msg, c.expected, `says what was expected: ${msg}`);
      assert.ok(!/\n\s+at /.test(r.stderr), `one clear line, no stack trace: ${msg}`);
      assert.equal(sawListener, false, "no port was opened");
      assert.equal(await listening(port), false);
      assert.equal(existsSync(join(dir, "data")), false, "nothing was created on disk");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("ledge config default: output parses back to a valid config", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ledge-defcfg-"));
  try {
    const r = await runCli(["config", "default"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const config = parseConfig(r.stdout, "(ledge config default)");
    assert.equal(config.mqtt.max_message_bytes, 262_144);
    assert.equal(config.listen.mqtts, "127.0.0.1:8883");
    const file = join(dir, "default.yaml");
    writeFileSync(file, r.stdout);
    const check = await runCli(["config", "check", "--config", file], { cwd: dir });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /valid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
