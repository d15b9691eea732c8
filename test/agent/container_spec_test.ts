/** Tests for the pure container body construction and config hash. */
import assert from "node:assert/strict";
import { type ContainerContext, desiredContainer, LABELS } from "../../src/agent/container_spec.ts";
import { spec } from "./fixtures.ts";

const ctx: ContainerContext = {
  owner: "ledge",
  device: { deviceId: "dev", iothubHostname: "hub.example", gatewayHostname: "gw" },
  generationId: "g1",
  workloadSocketDir: "/run/ledge/mnt/m",
  network: "azure-iot-edge",
};

Deno.test("body merges createOptions with what ledge adds", () => {
  const s = spec("m", {
    env: { A: "manifest", RuntimeLogLevel: "debug" },
    createOptions: {
      Env: ["A=createOptions", "B=2"],
      Labels: { mine: "1", [LABELS.owner]: "spoofed" },
      HostConfig: { Binds: ["/data:/data"] },
    },
  });
  const d = desiredContainer(s, ctx);
  const env = d.body.Env as string[];
  assert.ok(env.includes("A=createOptions"), "createOptions Env overrides manifest env");
  assert.ok(env.includes("B=2"));
  assert.ok(env.includes("RuntimeLogLevel=debug"));
  assert.ok(env.includes("IOTEDGE_MODULEID=m"));
  assert.ok(env.includes("IOTEDGE_GATEWAYHOSTNAME=gw"));
  assert.deepEqual([...env].sort(), env, "sorted by key");
  const labels = d.body.Labels as Record<string, string>;
  assert.equal(labels.mine, "1");
  assert.equal(labels[LABELS.owner], "ledge");
  assert.equal(labels[LABELS.configHash], d.configHash);
  const host = d.body.HostConfig as Record<string, unknown>;
  assert.deepEqual(host.Binds, ["/data:/data", "/run/ledge/mnt/m:/var/run/iotedge"]);
  assert.equal(host.NetworkMode, "azure-iot-edge");
  assert.deepEqual(d.body.NetworkingConfig, { EndpointsConfig: { "azure-iot-edge": {} } });
  assert.equal(d.body.Image, "img:1");
});

Deno.test("host network: no endpoints config; user NetworkMode wins", () => {
  const d = desiredContainer(spec("m"), { ...ctx, network: "host" });
  assert.equal((d.body.HostConfig as Record<string, unknown>).NetworkMode, "host");
  assert.equal(d.body.NetworkingConfig, undefined);
  const u = desiredContainer(
    spec("m", { createOptions: { HostConfig: { NetworkMode: "host" } } }),
    ctx,
  );
  assert.equal((u.body.HostConfig as Record<string, unknown>).NetworkMode, "host");
});

Deno.test("config hash: status does not matter, everything else does", () => {
  const h = (over: Parameters<typeof spec>[1], c: ContainerContext = ctx) =>
    desiredContainer(spec("m", over), c).configHash;
  const base = h({});
  assert.equal(h({ status: "stopped" }), base);
  assert.equal(h({ createOptions: {} }), base);
  for (
    const over of [
      { image: "img:2" },
      { env: { X: "1" } },
      { version: "2" },
      { createOptions: { Cmd: ["x"] } },
      { restartPolicy: "never" as const },
      { imagePullPolicy: "never" as const },
      { startupOrder: 3 },
    ]
  ) assert.notEqual(h(over), base, JSON.stringify(over));
  assert.notEqual(h({}, { ...ctx, generationId: "g2" }), base);
});

Deno.test("bad createOptions shapes give field errors", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ Env: "A=1" }, /createOptions\.Env must be an array/],
    [{ Env: [1] }, /createOptions\.Env/],
    [{ Labels: [] }, /createOptions\.Labels must be an object/],
    [{ HostConfig: "x" }, /createOptions\.HostConfig must be an object/],
    [{ HostConfig: { Binds: "x" } }, /Binds must be an array/],
  ];
  for (const [createOptions, re] of cases) {
    assert.throws(() => desiredContainer(spec("m", { createOptions }), ctx), re);
  }
});
