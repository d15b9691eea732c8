/** Table-driven tests for validateManifest and the createOptions/image helpers. */
import assert from "node:assert/strict";
import { validateManifest } from "../../src/agent/manifest.ts";
import {
  canonicalJson,
  imageRegistry,
  normalizeImage,
  readCreateOptions,
  writeCreateOptions,
} from "../../src/agent/create_options.ts";
import { contentOf, manifest, moduleJson } from "./fixtures.ts";

Deno.test("valid manifest parses with defaults and normalization", () => {
  const r = validateManifest(manifest({
    ma: moduleJson({ restartPolicy: undefined, settings: { image: "busybox" } }),
    mb: moduleJson({
      startupOrder: 2,
      version: "1.0",
      imagePullPolicy: "NEVER",
      env: { X: { value: "1" }, Y: { value: null }, Z: { value: 5 } },
      settings: {
        image: "localhost:5000/x",
        createOptions: '{"HostConfig":{"Binds":["/a:/b"],',
        createOptions01: '"Privileged":false}}',
      },
    }),
  }, { $version: 7 }));
  assert.ok(r.ok, JSON.stringify(r));
  const a = r.config.modules.ma, b = r.config.modules.mb;
  assert.equal(a.restartPolicy, "on-unhealthy");
  assert.equal(a.image, "busybox:latest");
  assert.equal(a.startupOrder, 4294967295);
  assert.equal(a.imagePullPolicy, "on-create");
  assert.equal(b.image, "localhost:5000/x:latest");
  assert.equal(b.imagePullPolicy, "never");
  assert.deepEqual(b.env, { X: "1", Y: "", Z: "5" });
  assert.deepEqual(b.createOptions, { HostConfig: { Binds: ["/a:/b"], Privileged: false } });
  assert.equal(r.config.version, 7);
  assert.equal(r.config.systemModules.edgeAgent.restartPolicy, "always");
  assert.equal(r.config.edgeHub?.schemaVersion, "1.1");
});

Deno.test("YAML text and bare $edgeAgent document are accepted", () => {
  const yamlText = `
modulesContent:
  $edgeAgent:
    properties.desired:
      schemaVersion: "1.0"
      runtime: { type: docker }
      systemModules:
        edgeAgent: { type: docker, settings: { image: a } }
        edgeHub: { type: docker, status: running, settings: { image: h } }
      modules:
        mod1: { type: docker, status: stopped, settings: { image: "busybox:1" } }
`;
  const r = validateManifest(yamlText);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.config.modules.mod1.status, "stopped");
  const bare = contentOf(manifest({})).$edgeAgent["properties.desired"];
  const r2 = validateManifest(JSON.stringify(bare));
  assert.ok(r2.ok);
});

const failures: [string, unknown, number, RegExp][] = [
  ["empty text", "", 417, /empty configuration/],
  ["empty object", {}, 417, /empty configuration/],
  ["envelope without agent", { modulesContent: { $edgeHub: {} } }, 417, /empty/],
  [
    "only $version",
    { modulesContent: { $edgeAgent: { "properties.desired": { $version: 3 } } } },
    417,
    /empty/,
  ],
  ["schema 1.2", manifest({}, { schemaVersion: "1.2" }), 412, /1\.2 is not compatible/],
  ["schema 1.1.1", manifest({}, { schemaVersion: "1.1.1" }), 412, /not compatible/],
  ["schema 2.0", manifest({}, { schemaVersion: "2.0" }), 412, /not compatible/],
  ["schema missing", manifest({}, { schemaVersion: undefined }), 412, /missing or invalid/],
  ["schema garbage", manifest({}, { schemaVersion: "v1" }), 412, /invalid/],
  ["bad json", "{ not json", 400, /manifest: not valid JSON or YAML/],
  ["duplicate key", '{"a":1,"a":2}', 400, /manifest: not valid/],
  [
    "missing image",
    manifest({ mod: moduleJson({ settings: {} }) }),
    400,
    /modules\.mod\.settings\.image/,
  ],
  [
    "blank image",
    manifest({ mod: moduleJson({ settings: { image: "  " } }) }),
    400,
    /modules\.mod\.settings\.image: image must not be blank/,
  ],
  [
    "bad image",
    manifest({ mod: moduleJson({ settings: { image: "a:b:c" } }) }),
    400,
    /settings\.image: 'a:b:c' is not a valid/,
  ],
  [
    "type not docker",
    manifest({ mod: moduleJson({ type: "Docker" }) }),
    400,
    /modules\.mod\.type: type must be exactly 'docker'/,
  ],
  [
    "bad restart policy",
    manifest({ mod: moduleJson({ restartPolicy: "sometimes" }) }),
    400,
    /modules\.mod\.restartPolicy/,
  ],
  [
    "null restart policy",
    manifest({ mod: moduleJson({ restartPolicy: null }) }),
    400,
    /modules\.mod\.restartPolicy/,
  ],
  [
    "missing status",
    manifest({ mod: moduleJson({ status: undefined }) }),
    400,
    /modules\.mod\.status: required/,
  ],
  ["bad status", manifest({ mod: moduleJson({ status: "backoff" }) }), 400, /modules\.mod\.status/],
  [
    "negative startupOrder",
    manifest({ mod: moduleJson({ startupOrder: -1 }) }),
    400,
    /modules\.mod\.startupOrder/,
  ],
  [
    "bad createOptions",
    manifest({ mod: moduleJson({ settings: { image: "x", createOptions: "{nope" } }) }),
    400,
    /modules\.mod\.settings\.createOptions: invalid JSON/,
  ],
  [
    "chunk gap",
    manifest({
      mod: moduleJson({ settings: { image: "x", createOptions: "{", createOptions02: "}" } }),
    }),
    400,
    /createOptions02: expected chunk number 01/,
  ],
  [
    "chunk without base",
    manifest({ mod: moduleJson({ settings: { image: "x", createOptions01: "{}" } }) }),
    400,
    /must start with 'createOptions'/,
  ],
  ["reserved name", manifest({ edgeHub: moduleJson() }), 400, /modules\.edgeHub: name is reserved/],
  [
    "bad docker name",
    manifest({ "bad name": moduleJson() }),
    400,
    /modules\.bad name: module name must match/,
  ],
  [
    "cred missing field",
    manifest({}, {
      runtime: {
        type: "docker",
        settings: { registryCredentials: { r: { username: "u", address: "a" } } },
      },
    }),
    400,
    /registryCredentials\.r\.password/,
  ],
  [
    "hub schema 1.4",
    {
      modulesContent: {
        ...contentOf(manifest({})),
        $edgeHub: { "properties.desired": { schemaVersion: "1.4" } },
      },
    },
    400,
    /\$edgeHub\.schemaVersion/,
  ],
  [
    "edgeHub missing status",
    manifest({}, {
      systemModules: { edgeAgent: moduleJson(), edgeHub: moduleJson({ status: undefined }) },
    }),
    400,
    /systemModules\.edgeHub\.status: required/,
  ],
];

for (const [name, input, code, re] of failures) {
  Deno.test(`invalid manifest: ${name} → ${code}`, () => {
    const r = validateManifest(input);
    assert.equal(r.ok, false, `expected failure for ${name}`);
    if (r.ok) return;
    assert.equal(r.code, code, r.description);
    assert.match(r.description, re);
  });
}

Deno.test("accepted schema versions", () => {
  for (const v of ["1.0", "1.1", "1.0.5", "1.1.0"]) {
    assert.ok(validateManifest(manifest({}, { schemaVersion: v })).ok, v);
  }
});

Deno.test("createOptions chunks round-trip", () => {
  const big = { Env: Array.from({ length: 100 }, (_, i) => `K${i}=${"v".repeat(20)}`) };
  const chunks = writeCreateOptions(big);
  assert.ok(Object.keys(chunks).length > 2);
  assert.ok(Object.values(chunks).every((c) => c.length <= 512));
  assert.deepEqual(readCreateOptions({ image: "x", ...chunks }, "s"), big);
  assert.deepEqual(writeCreateOptions({}), { createOptions: "{}" });
  for (const empty of ["", "  ", "null", "NULL"]) {
    assert.deepEqual(readCreateOptions({ createOptions: empty }, "s"), {});
  }
});

Deno.test("image helpers", () => {
  const cases: [string, string][] = [
    ["alpine", "alpine:latest"],
    ["alpine:3", "alpine:3"],
    ["localhost:5000/x", "localhost:5000/x:latest"],
    ["127.0.0.1:5055/ledge-test/busybox:1", "127.0.0.1:5055/ledge-test/busybox:1"],
  ];
  for (const [i, o] of cases) assert.equal(normalizeImage(i, "f"), o);
  assert.equal(imageRegistry("127.0.0.1:5055/a/b:1"), "127.0.0.1:5055");
  assert.equal(imageRegistry("myacr.azurecr.io/x:1"), "myacr.azurecr.io");
  assert.equal(imageRegistry("library/busybox:1"), "docker.io");
  assert.equal(imageRegistry("busybox:1"), "docker.io");
  assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
});
