/**
 * Configuration loading: defaults, the embedded default file, validation errors that name the
 * key, the bad value and the expectation, path resolution and `$LEDGE_CONFIG`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import {
  ConfigError,
  configSchema,
  DEFAULT_CONFIG_YAML,
  loadConfig,
  parseConfig,
} from "../../src/config/mod.ts";

function errorOf(text: string, source = "x.yaml"): string {
  try {
    parseConfig(text, source);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "ledge-config-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` with `$LEDGE_CONFIG` set to `value` (or unset), restoring it afterwards. */
function withEnv(value: string | undefined, fn: () => void): void {
  const before = process.env.LEDGE_CONFIG;
  if (value === undefined) delete process.env.LEDGE_CONFIG;
  else process.env.LEDGE_CONFIG = value;
  try {
    fn();
  } finally {
    if (before === undefined) delete process.env.LEDGE_CONFIG;
    else process.env.LEDGE_CONFIG = before;
  }
}

Deno.test("an empty file gives every default", () => {
  for (const text of ["", "{}", "# only a comment\n"]) {
    const c = parseConfig(text, "empty.yaml");
    assert.equal(c.hostname, "localhost");
    assert.equal(c.device_id, "ledge-device");
    assert.equal(c.iothub_hostname, undefined);
    assert.equal(c.data_dir, "./ledge-data");
    assert.deepEqual(c.listen, { mqtt: null, mqtts: "127.0.0.1:8883", mgmt_socket: "mgmt.sock" });
    assert.deepEqual(c.mqtt, {
      max_message_bytes: 262_144,
      max_connections: 10_000,
      max_inflight: 1000,
      max_inbound_bytes: 1 << 20,
      max_outbound_inflight: 1000,
      max_outbound_bytes: 2 << 20,
      max_keepalive_secs: 600,
      connect_timeout_ms: 10_000,
    });
    assert.deepEqual(c.store, {
      dir: null,
      fsync: "always",
      fsync_interval_ms: 10,
      time_to_live_secs: 7200,
      max_bytes: 1 << 30,
      segment_bytes: 16 << 20,
      tail_cache_bytes: 2 << 20,
    });
    assert.deepEqual(c.routes, {});
    assert.deepEqual(c.moby, { socket: "unix:///var/run/docker.sock", network: "azure-iot-edge" });
    assert.deepEqual(c.log, { level: "info" });
  }
});

Deno.test("the embedded default parses to exactly the schema's defaults", () => {
  assert.deepEqual(parseConfig(DEFAULT_CONFIG_YAML, "(embedded default)"), configSchema.parse({}));
});

Deno.test("the embedded default round-trips through its own parse", () => {
  const once = parseConfig(DEFAULT_CONFIG_YAML, "default");
  const twice = parseConfig(JSON.stringify(once), "again"); // JSON is YAML
  assert.deepEqual(twice, once);
});

Deno.test("partial sections keep the defaults of the keys not given", () => {
  const c = parseConfig("store:\n  fsync: never\nlisten:\n  mqtt: '[::1]:1883'\n", "p.yaml");
  assert.equal(c.store.fsync, "never");
  assert.equal(c.store.time_to_live_secs, 7200);
  assert.equal(c.listen.mqtt, "[::1]:1883");
  assert.equal(c.listen.mqtts, "127.0.0.1:8883");
});

Deno.test("valid values are accepted", async (t) => {
  const cases: Array<[string, (c: ReturnType<typeof parseConfig>) => unknown, unknown]> = [
    ["listen:\n  mqtts: null", (c) => c.listen.mqtts, null],
    ["listen:\n  mqtts: 'localhost:0'", (c) => c.listen.mqtts, "localhost:0"],
    [
      "listen:\n  mqtts: 'edge.example-1.local:65535'",
      (c) => c.listen.mqtts,
      "edge.example-1.local:65535",
    ],
    ["listen:\n  mqtt: '[::1]:1883'", (c) => c.listen.mqtt, "[::1]:1883"],
    ["store:\n  fsync: interval", (c) => c.store.fsync, "interval"],
    ["log:\n  level: debug", (c) => c.log.level, "debug"],
    ["device_id: 'dev-1.a_b:c@d'", (c) => c.device_id, "dev-1.a_b:c@d"],
    ["iothub_hostname: hub.azure-devices.net", (c) => c.iothub_hostname, "hub.azure-devices.net"],
    ["routes:\n  r1: FROM /messages/* INTO $upstream", (c) => c.routes, {
      r1: "FROM /messages/* INTO $upstream",
    }],
  ];
  for (const [text, get, want] of cases) {
    await t.step(text, () => assert.deepEqual(get(parseConfig(text, "ok.yaml")), want));
  }
});

Deno.test("each bad value is refused naming key, value and expectation", async (t) => {
  // [yaml, substrings the message must contain]
  const cases: Array<[string, string[]]> = [
    // unknown keys, at top level and inside sections
    ["foo: 1", ["(top level)", "Unrecognized key", '"foo"']],
    ["listen:\n  bogus: 1", ["listen", "Unrecognized key", '"bogus"']],
    ["store:\n  fsync_ms: 5", ["store", '"fsync_ms"']],
    ["mqtt:\n  max_inflights: 5", ["mqtt", '"max_inflights"']],
    ["moby:\n  sock: x", ["moby", '"sock"']],
    ["log:\n  lvl: info", ["log", '"lvl"']],
    // wrong types
    ["hostname: 5", ["hostname:", "expected string", "(got 5)"]],
    ["hostname: ''", ["hostname:", '(got "")']],
    ["data_dir: [a]", ["data_dir:", "expected string", '(got ["a"])']],
    ["listen: 5", ["listen:", "expected object", "(got 5)"]],
    ["store: 5", ["store:", "expected object", "(got 5)"]],
    ["listen:\n  mqtts: 12", ["listen.mqtts:", "expected string", "(got 12)"]],
    ["mqtt:\n  max_inflight: many", ["mqtt.max_inflight:", "expected number", '(got "many")']],
    ["mqtt:\n  max_inflight: 1.5", ["mqtt.max_inflight:", "int", "(got 1.5)"]],
    ["store:\n  time_to_live_secs: '7200'", ["store.time_to_live_secs:", '(got "7200")']],
    ["routes:\n  r: 5", ["routes.r:", "expected string", "(got 5)"]],
    ["moby:\n  socket: 1", ["moby.socket:", "(got 1)"]],
    // ranges
    ["mqtt:\n  max_inflight: 0", ["mqtt.max_inflight:", ">=1", "(got 0)"]],
    ["mqtt:\n  max_inflight: 70000", ["mqtt.max_inflight:", "<=65535", "(got 70000)"]],
    ["mqtt:\n  max_message_bytes: 10", ["mqtt.max_message_bytes:", ">=1024", "(got 10)"]],
    ["mqtt:\n  connect_timeout_ms: 5", ["mqtt.connect_timeout_ms:", ">=100", "(got 5)"]],
    ["store:\n  max_bytes: 1000", ["store.max_bytes:", "(got 1000)"]],
    ["store:\n  segment_bytes: 1", ["store.segment_bytes:", "(got 1)"]],
    ["store:\n  fsync_interval_ms: 0", ["store.fsync_interval_ms:", "(got 0)"]],
    ["store:\n  time_to_live_secs: -1", ["store.time_to_live_secs:", "(got -1)"]],
    // host:port
    ["listen:\n  mqtts: localhost", ["listen.mqtts:", "expected host:port", '(got "localhost")']],
    ["listen:\n  mqtts: ':8883'", ["listen.mqtts:", "expected host:port", '(got ":8883")']],
    ["listen:\n  mqtt: 'host:99999'", [
      "listen.mqtt:",
      "port must be 0..65535",
      '(got "host:99999")',
    ]],
    ["listen:\n  mqtt: '::1:1883'", ["listen.mqtt:", "expected host:port"]],
    ["listen:\n  mqtt: 'a b:1883'", ["listen.mqtt:", "expected host:port"]],
    ["listen:\n  mqtt: 'host:123456'", ["listen.mqtt:", "expected host:port"]],
    // enums
    ["store:\n  fsync: sometimes", [
      "store.fsync:",
      '"always"|"interval"|"never"',
      '(got "sometimes")',
    ]],
    ["log:\n  level: loud", ["log.level:", '"error"|"warn"|"info"|"debug"', '(got "loud")']],
    // ids
    ["device_id: 'a b'", ["device_id:", "expected a device id", '(got "a b")']],
    [`device_id: '${"d".repeat(129)}'`, ["device_id:", "expected a device id"]],
    // not a mapping at all
    ["- a", ["(top level)", "expected object"]],
    ["just a string", ["(top level)", "expected object"]],
  ];
  for (const [text, wants] of cases) {
    await t.step(JSON.stringify(text), () => {
      const msg = errorOf(text);
      assert.ok(msg.startsWith("x.yaml:"), `message names the file: ${msg}`);
      for (const w of wants) assert.ok(msg.includes(w), `${JSON.stringify(msg)} lacks ${w}`);
    });
  }
});

Deno.test("all errors of a file are reported together, one line each", () => {
  const msg = errorOf("listen:\n  mqtts: 12\nstore:\n  fsync: sometimes\nfoo: 1\n");
  const lines = msg.split("\n");
  assert.equal(lines[0], "x.yaml:");
  assert.equal(lines.length, 4);
  assert.ok(lines.some((l) => l.startsWith("listen.mqtts:")));
  assert.ok(lines.some((l) => l.startsWith("store.fsync:")));
  assert.ok(lines.some((l) => l.startsWith("(top level):") && l.includes('"foo"')));
});

Deno.test("invalid YAML is a ConfigError naming the file", () => {
  const msg = errorOf("a: [\n", "broken.yaml");
  assert.match(msg, /^broken\.yaml: not valid YAML: /);
});

Deno.test("loadConfig: no file and no LEDGE_CONFIG gives the embedded default", () => {
  withEnv(undefined, () => {
    const c = loadConfig();
    assert.equal(c.source, "(embedded default)");
    assert.equal(c.dataDir, resolve("./ledge-data"));
    assert.equal(c.mgmtSocketPath, resolve("./ledge-data", "mgmt.sock"));
    assert.equal(c.iothubHostname, "localhost");
  });
});

Deno.test("loadConfig: relative paths resolve against the cwd, the socket against data_dir", () => {
  withTempDir((dir) => {
    const file = join(dir, "ledge.yaml");
    writeFileSync(file, "data_dir: some/data\nhostname: edge.local\n");
    const c = loadConfig(file);
    assert.equal(c.source, file);
    assert.equal(c.dataDir, resolve(process.cwd(), "some/data"));
    assert.equal(c.mgmtSocketPath, join(resolve(process.cwd(), "some/data"), "mgmt.sock"));
    assert.equal(c.iothubHostname, "edge.local");
  });
});

Deno.test("loadConfig: absolute paths are kept; iothub_hostname wins over hostname", () => {
  withTempDir((dir) => {
    const file = join(dir, "ledge.yaml");
    writeFileSync(
      file,
      [
        `data_dir: ${dir}/data`,
        "hostname: gw.local",
        "iothub_hostname: hub.azure-devices.net",
        "listen:",
        `  mgmt_socket: ${dir}/run/mgmt.sock`,
      ].join("\n"),
    );
    const c = loadConfig(file);
    assert.equal(c.dataDir, join(dir, "data"));
    assert.equal(c.mgmtSocketPath, join(dir, "run/mgmt.sock"));
    assert.equal(c.iothubHostname, "hub.azure-devices.net");
    assert.equal(c.hostname, "gw.local");
  });
});

Deno.test("loadConfig: LEDGE_CONFIG names the file; an explicit path wins over it", () => {
  withTempDir((dir) => {
    const envFile = join(dir, "env.yaml");
    const argFile = join(dir, "arg.yaml");
    writeFileSync(envFile, "device_id: from-env\n");
    writeFileSync(argFile, "device_id: from-arg\n");
    withEnv(envFile, () => {
      const c = loadConfig();
      assert.equal(c.source, envFile);
      assert.equal(c.device_id, "from-env");
      assert.equal(loadConfig(argFile).device_id, "from-arg");
    });
  });
});

Deno.test("loadConfig: a missing file or a bad one is a ConfigError naming it", () => {
  withTempDir((dir) => {
    const missing = join(dir, "nope.yaml");
    assert.throws(
      () => loadConfig(missing),
      (e: Error) => e instanceof ConfigError && e.message.startsWith(`${missing}: cannot read`),
    );
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "store:\n  fsync: sometimes\n");
    withEnv(bad, () =>
      assert.throws(
        () => loadConfig(),
        (e: Error) =>
          e instanceof ConfigError && e.message.includes(`${bad}:`) &&
          e.message.includes("store.fsync"),
      ));
  });
});
