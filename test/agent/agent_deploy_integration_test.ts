/**
 * Integration: deploy with startupOrder, env change recreates only that module, removal,
 * desired `stopped`, what goes into the container (env, labels, bind, host network), adoption
 * by a new Agent on the same state, logs and restart.
 */
import assert from "node:assert/strict";
import { formatModuleList } from "../../src/agent/mod.ts";
import { busybox, deployment, dockerTest, row, waitFor } from "./integration_helpers.ts";

dockerTest("agent: deploy, update one module, remove, stopped, adopt", async (t) => {
  const agent = t.agent();
  await agent.start();
  const sleep = ["sleep", "3600"];
  const m1 = deployment({
    "it1-c": busybox(sleep, { startupOrder: 2 }),
    "it1-a": busybox(sleep, { startupOrder: 0, env: { GREETING: { value: "hi" } } }),
    "it1-b": busybox(sleep, { startupOrder: 1 }),
    "it1-off": busybox(sleep, { status: "stopped" }),
  });
  const r = await agent.deploy(m1);
  assert.deepEqual(r, { code: 200, description: "" });
  await waitFor(
    "three running",
    () => ["it1-a", "it1-b", "it1-c"].every((n) => row(agent, n)?.status === "running"),
  );
  const rows = agent.list();
  const started = (n: string) => rows.find((x) => x.name === n)!.startedAt!.getTime();
  assert.ok(started("it1-a") <= started("it1-b") && started("it1-b") <= started("it1-c"));
  assert.equal(row(agent, "it1-off")?.status, "stopped");
  assert.ok(row(agent, "it1-off")?.containerId, "stopped module is created");

  // What ledge put into the container.
  const info = await t.docker.getContainer("it1-a").inspect();
  const env: string[] = info.Config.Env;
  for (
    const kv of [
      "GREETING=hi",
      "IOTEDGE_MODULEID=it1-a",
      "IOTEDGE_DEVICEID=dev1",
      "IOTEDGE_IOTHUBHOSTNAME=hub.example",
      "IOTEDGE_GATEWAYHOSTNAME=gw.local",
      "IOTEDGE_MODULEGENERATIONID=gen-it1-a",
      "IOTEDGE_WORKLOADURI=unix:///var/run/iotedge/workload.sock",
      "IOTEDGE_AUTHSCHEME=sasToken",
    ]
  ) assert.ok(env.includes(kv), `env has ${kv}`);
  assert.equal(info.HostConfig.NetworkMode, "host");
  assert.ok(info.HostConfig.Binds.some((b: string) => b.endsWith(":/var/run/iotedge")));
  assert.equal(info.Config.Labels["net.azure-devices.edge.owner"], t.owner);
  assert.ok(t.identities.ensured.includes("it1-b"));

  // Table output.
  const table = formatModuleList(agent.list(), new Date());
  assert.match(table, /^NAME\s+STATUS\s+DESCRIPTION\s+CONFIG\n/);
  assert.match(table, /it1-a\s+running\s+Up \d+ seconds?\s+ledge-test\/busybox:1/);

  // Change one module's env → only it is recreated.
  const ids = Object.fromEntries(agent.list().map((x) => [x.name, x.containerId]));
  const m2 = deployment({
    "it1-c": busybox(sleep, { startupOrder: 2 }),
    "it1-a": busybox(sleep, { startupOrder: 0, env: { GREETING: { value: "hello" } } }),
    "it1-b": busybox(sleep, { startupOrder: 1 }),
    "it1-off": busybox(sleep, { status: "stopped" }),
  });
  assert.equal((await agent.deploy(m2)).code, 200);
  await waitFor(
    "a recreated and running",
    () =>
      row(agent, "it1-a")?.status === "running" &&
      row(agent, "it1-a")?.containerId !== ids["it1-a"],
  );
  assert.equal(row(agent, "it1-b")?.containerId, ids["it1-b"]);
  assert.equal(row(agent, "it1-c")?.containerId, ids["it1-c"]);
  assert.equal(row(agent, "it1-off")?.containerId, ids["it1-off"]);

  // Logs come back demultiplexed.
  const m3 = deployment({
    "it1-a": busybox(sleep, { startupOrder: 0, env: { GREETING: { value: "hello" } } }),
    "it1-b": busybox(sleep, { startupOrder: 1 }),
    "it1-off": busybox(sleep, { status: "running" }),
    "it1-log": busybox(["sh", "-c", "echo out-line; echo err-line >&2; sleep 3600"]),
  });
  // it1-c is removed; it1-off flips to running without recreation.
  assert.equal((await agent.deploy(m3)).code, 200);
  await waitFor("c removed", async () =>
    !row(agent, "it1-c") &&
    (await t.docker.listContainers({ all: true, filters: { name: ["^/it1-c$"] } })).length === 0);
  await waitFor("off running", () => row(agent, "it1-off")?.status === "running");
  assert.equal(row(agent, "it1-off")?.containerId, ids["it1-off"]);
  await waitFor("identity removed", () => t.identities.removed.includes("it1-c"));
  const text = await waitFor("log lines", async () => {
    let s = "";
    for await (const chunk of agent.logs("it1-log", { tail: "all" })) {
      s += new TextDecoder().decode(chunk);
    }
    return s.includes("err-line") ? s : undefined;
  });
  // stdout and stderr are separate pipes: their relative order is not guaranteed.
  assert.deepEqual(text.split("\n").sort(), ["", "err-line", "out-line"]);

  // follow=true streams until the signal aborts.
  const ctl = new AbortController();
  let followed = "";
  for await (const chunk of agent.logs("it1-log", { follow: true, tail: 1, signal: ctl.signal })) {
    followed += new TextDecoder().decode(chunk);
    ctl.abort();
  }
  assert.ok(followed.endsWith("-line\n"), followed);

  // Restart keeps the container but gives it a new start time.
  const before = row(agent, "it1-b")!.startedAt!.getTime();
  await agent.restart("it1-b");
  await waitFor(
    "b restarted",
    () =>
      row(agent, "it1-b")?.status === "running" &&
      row(agent, "it1-b")!.startedAt!.getTime() > before,
  );
  await assert.rejects(agent.restart("nope"), /Module nope not found/);

  // A new Agent on the same state adopts the running containers without recreating them.
  const idsNow = Object.fromEntries(agent.list().map((x) => [x.name, x.containerId]));
  await agent.stop();
  const reported = t.reports.at(-1) as { lastDesiredStatus: { code: number } };
  assert.equal(reported.lastDesiredStatus.code, 406);
  const agent2 = t.agent();
  await agent2.start();
  assert.equal((await agent2.reconcileNow()).code, 200);
  await agent2.reconcileNow();
  for (const [name, id] of Object.entries(idsNow)) {
    assert.equal(row(agent2, name)?.containerId, id, `${name} adopted`);
    assert.equal(row(agent2, name)?.status, "running");
  }
});

dockerTest(
  "agent: invalid manifest changes nothing; bad createOptions is a module error",
  async (t) => {
    const agent = t.agent();
    await agent.start();
    const ok = deployment({ "it2-a": busybox(["sleep", "3600"]) });
    assert.equal((await agent.deploy(ok)).code, 200);
    await waitFor("a running", () => row(agent, "it2-a")?.status === "running");
    const id = row(agent, "it2-a")?.containerId;

    const bad = await agent.deploy({
      modulesContent: { $edgeAgent: { "properties.desired": { schemaVersion: "9.0" } } },
    });
    assert.equal(bad.code, 412);
    const bad2 = await agent.deploy(deployment({ "it2-a": { type: "docker", status: "running" } }));
    assert.equal(bad2.code, 400);
    assert.match(bad2.description, /modules\.it2-a\.settings/);
    await agent.reconcileNow();
    assert.equal(row(agent, "it2-a")?.containerId, id);
    assert.equal(row(agent, "it2-a")?.status, "running");

    // createOptions that parse as JSON but cannot be merged / created.
    const weird = deployment({
      "it2-a": busybox(["sleep", "3600"]),
      "it2-env": {
        ...busybox([]),
        settings: { image: "ledge-test/busybox:1", createOptions: '{"Env":"X=1"}' },
      },
      "it2-mem": busybox(["sleep", "1"], {}, { HostConfig: { Memory: -5 } }),
    });
    const r = await agent.deploy(weird);
    assert.equal(r.code, 500);
    assert.match(r.description, /createOptions\.Env must be an array/);
    await waitFor("env module failed", () => row(agent, "it2-env")?.status === "failed");
    assert.match(row(agent, "it2-env")!.description, /createOptions\.Env/);
    await waitFor("mem module failed", () => row(agent, "it2-mem")?.status === "failed");
    assert.match(row(agent, "it2-mem")!.description, /create it2-mem: /);
    assert.equal(row(agent, "it2-a")?.containerId, id, "healthy module untouched");
  },
);
