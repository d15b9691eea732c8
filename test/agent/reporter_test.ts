/** Tests for the `$edgeAgent` reported-properties document. */
import assert from "node:assert/strict";
import { buildReport, reportTime } from "../../src/agent/reporter.ts";
import { validateManifest } from "../../src/agent/manifest.ts";
import { manifest, moduleJson, spec } from "./fixtures.ts";

Deno.test("report has module runtime fields and hides secrets", () => {
  const r = validateManifest(manifest({ sensor: moduleJson({ env: { A: { value: "1" } } }) }, {
    runtime: {
      type: "docker",
      settings: {
        registryCredentials: { r: { username: "u", password: "secret", address: "r.io" } },
      },
    },
    $version: 4,
  }));
  assert.ok(r.ok);
  const doc = buildReport({
    config: r.config,
    lastDesiredStatus: { code: 200, description: "" },
    lastDesiredVersion: 4,
    engineUp: true,
    version: { version: "0.1.0" },
    platform: { os: "linux", architecture: "x86_64" },
    modules: [{
      name: "sensor",
      status: "backoff",
      description: "exited with code 137",
      image: "ledge-test/busybox:1",
      exitCode: 137,
      startedAt: new Date("2026-01-01T00:00:01.500Z"),
      finishedAt: new Date("2026-01-01T00:00:02Z"),
      restartCount: 2,
      lastRestartTime: new Date("2026-01-01T00:00:03Z"),
      containerId: "c1",
      spec: spec("sensor", { env: { A: "1" }, restartPolicy: "always" }),
    }],
  });
  assert.equal(JSON.stringify(doc).includes("secret"), false);
  assert.equal(doc.lastDesiredVersion, 4);
  const m = (doc.modules as Record<string, Record<string, unknown>>).sensor;
  assert.deepEqual(
    [
      m.runtimeStatus,
      m.exitCode,
      m.restartCount,
      m.lastStartTimeUtc,
      m.lastRestartTimeUtc,
      m.status,
    ],
    ["backoff", 137, 2, "2026-01-01T00:00:01.500", "2026-01-01T00:00:03.000", "running"],
  );
  assert.deepEqual(m.env, { A: { value: "1" } });
  assert.deepEqual(m.settings, { image: "ledge-test/busybox:1", createOptions: "{}" });
  const sys = doc.systemModules as Record<string, Record<string, unknown>>;
  assert.equal(sys.edgeHub.runtimeStatus, "running");
  assert.equal(reportTime(undefined), "0001-01-01T00:00:00");
});

Deno.test("engine down: modules emptied, system modules unknown", () => {
  const doc = buildReport({
    lastDesiredStatus: { code: 500, description: "connect ENOENT" },
    lastDesiredVersion: 0,
    engineUp: false,
    version: { version: "0.1.0" },
    platform: { os: "linux", architecture: "x86_64" },
    modules: [{
      name: "x",
      status: "running",
      description: "",
      image: "i",
      exitCode: 0,
      restartCount: 0,
      containerId: "c",
    }],
  });
  assert.deepEqual(doc.modules, {});
  assert.equal(
    (doc.systemModules as Record<string, Record<string, unknown>>).edgeAgent.runtimeStatus,
    "unknown",
  );
});
