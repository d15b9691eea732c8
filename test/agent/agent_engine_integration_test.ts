/**
 * Integration: registry pulls with right and wrong credentials (local docker-registry with
 * htpasswd on 127.0.0.1), and recovery when the Docker engine stops and comes back. The
 * engine-restart test uses a second private dockerd so it never disturbs the shared one.
 */
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import type { ReportedDoc } from "../../src/agent/mod.ts";
import {
  busybox,
  cleanup,
  deployment,
  dockerTest,
  engineAt,
  newCtx,
  row,
  script,
  waitFor,
} from "./integration_helpers.ts";

function vars(out: string): Record<string, string> {
  return Object.fromEntries(
    out.split("\n").filter((l) => l.includes("=")).map((
      l,
    ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

dockerTest(
  "agent: registry pull with right credentials works, wrong ones fail clearly",
  async (t) => {
    const v = vars(script("test-images.sh", ["registry"]));
    const image = v.REGISTRY_IMAGE;
    await t.docker.getImage(image).remove().catch(() => {});
    const agent = t.agent();
    await agent.start();
    const mod = (over: Record<string, unknown> = {}) => ({
      ...busybox(["sleep", "3600"]),
      imagePullPolicy: "on-create",
      settings: { image, createOptions: JSON.stringify({ Cmd: ["sleep", "3600"] }) },
      ...over,
    });
    const good = {
      local: { username: v.REGISTRY_USER, password: v.REGISTRY_PASS, address: v.REGISTRY },
    };
    const r = await agent.deploy(deployment({ "it5-pulled": mod() }, good));
    assert.deepEqual(r, { code: 200, description: "" });
    await waitFor("pulled module running", () => row(agent, "it5-pulled")?.status === "running");

    const bad = { local: { username: v.REGISTRY_USER, password: "wrong", address: v.REGISTRY } };
    const r2 = await agent.deploy(deployment({ "it5-pulled": mod(), "it5-denied": mod() }, bad));
    assert.equal(r2.code, 500);
    assert.match(r2.description, /pull it5-denied: .*(unauthorized|authentication required)/i);
    const denied = row(agent, "it5-denied");
    assert.equal(denied?.status, "failed");
    assert.match(denied!.description, /unauthorized|authentication required/i);
    assert.equal(row(agent, "it5-pulled")?.status, "running", "unchanged module keeps running");
    const last = t.reports.at(-1) as { modules: Record<string, { runtimeStatus: string }> };
    assert.equal(last.modules["it5-denied"].runtimeStatus, "failed");
  },
);

dockerTest(
  "agent: engine stops and returns → agent reports it and recovers by itself",
  async () => {
    const env = {
      LEDGE_TEST_DOCKER_SOCK: "/run/ledge-test-docker-2.sock",
      LEDGE_TEST_DOCKER_ROOT: "/var/lib/ledge-test-docker-2",
      LEDGE_TEST_DOCKER_LOG: "/tmp/ledge-test-dockerd-2.log",
    };
    const sock = env.LEDGE_TEST_DOCKER_SOCK;
    script("dockerd-test.sh", ["start"], env);
    try {
      script("test-images.sh", ["images"], env);
      // Containers left by an interrupted run (another owner label) would block the names.
      spawnSync("docker", ["-H", `unix://${sock}`, "rm", "-f", "it6-a", "it6-b"], {
        stdio: "ignore",
      });
      const t = newCtx(sock);
      const agent = t.agent();
      await agent.start();
      try {
        const r = await agent.deploy(deployment({
          // StopTimeout keeps dockerd's own shutdown short (it stops containers first).
          "it6-a": busybox(["sleep", "3600"], {}, { StopTimeout: 1 }),
          "it6-b": busybox(["sleep", "3600"], { restartPolicy: "on-failure" }, { StopTimeout: 1 }),
        }));
        assert.equal(r.code, 200, r.description);
        await waitFor("both running", () => agent.list().every((x) => x.status === "running"));

        script("dockerd-test.sh", ["stop"], env);
        assert.equal(await engineAt(sock), false);
        await waitFor("engine down reported", () => {
          const last = t.reports.at(-1) as ReportedDoc & { lastDesiredStatus: { code: number } };
          return last?.lastDesiredStatus.code === 500 &&
            Object.keys(last.modules as object).length === 0;
        });
        assert.ok(agent.list().every((x) => x.status === "unknown"));

        script("dockerd-test.sh", ["start"], env);
        await waitFor(
          "modules running again",
          () => agent.list().length === 2 && agent.list().every((x) => x.status === "running"),
          30_000,
        );
        await waitFor("status 200 again", () => {
          const last = t.reports.at(-1) as { lastDesiredStatus: { code: number } };
          return last.lastDesiredStatus.code === 200;
        });
      } finally {
        await agent.stop();
        await cleanup(t.docker, t.owner).catch(() => {});
      }
    } finally {
      script("dockerd-test.sh", ["stop"], env);
    }
  },
);
