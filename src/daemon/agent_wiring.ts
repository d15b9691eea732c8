/**
 * Wires the edge agent into the daemon: module identities from the registry (created on
 * deploy, removed on undeploy), a workload socket per module, the agent's state in the
 * database, its `$edgeAgent` report in the twin store, and the management API's module
 * operations. `systemModules` (edgeAgent, edgeHub) are ledge itself and run in-process.
 *
 * @module
 */
import { join } from "node:path";
import type { LoadedConfig } from "../config/mod.ts";
import type { Db } from "../db/mod.ts";
import { type IdentityRegistry, RegistryError } from "../identity/mod.ts";
import type { Pki } from "../identity/pki/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { TwinStore } from "../hub/twin/mod.ts";
import { WorkloadApi } from "../api/workload/mod.ts";
import type { ModulesPort } from "../api/mgmt/mod.ts";
import { Agent, humanize, listDescription } from "../agent/mod.ts";
import { VERSION } from "../version.ts";

export interface AgentParts {
  agent: Agent;
  modules: ModulesPort;
  close(): Promise<void>;
}

/** `unix:///path` or a bare path → the path. */
export function socketPathOf(uri: string): string {
  return uri.startsWith("unix://") ? uri.slice("unix://".length) : uri;
}

export async function startAgent(parts: {
  config: LoadedConfig;
  db: Db;
  registry: IdentityRegistry;
  twins: TwinStore;
  pki: Pki;
  log: Logger;
}): Promise<AgentParts> {
  const { config, db, registry, twins, pki, log } = parts;
  const deviceId = config.device_id;
  const workload = new WorkloadApi(join(config.dataDir, "workload"), {
    keys: {
      moduleKey: async (moduleId) => {
        const id = await registry.get({ deviceId, moduleId });
        return id ? { primaryKey: id.primaryKey, generationId: id.generationId } : undefined;
      },
    },
    pki,
    device: { hubHostname: config.iothubHostname, deviceId },
  });
  // Modules that already exist (ledge restarted) get their sockets back before adoption.
  for (const id of await registry.list()) {
    if (id.deviceId === deviceId && id.moduleId && id.managedBy === "ledge") {
      await workload.open(id.moduleId).catch((e) =>
        log.warn("workload socket", { module: id.moduleId, error: String(e) })
      );
    }
  }
  const agentLog = log.child("agent");
  const agent = new Agent({
    identities: {
      ensureModule: async (moduleId) => {
        const id = await registry.ensure({ deviceId, moduleId }, { managedBy: "ledge" });
        await workload.open(moduleId);
        return { generationId: id.generationId };
      },
      removeModule: async (moduleId) => {
        await workload.close(moduleId);
        try {
          await registry.remove({ deviceId, moduleId });
          await twins.remove(`${deviceId}/${moduleId}`);
        } catch (e) {
          if (!(e instanceof RegistryError && e.status === 404)) throw e;
        }
      },
    },
    workloadSocketDir: (moduleId) => join(workload.dir, moduleId),
    env: {
      deviceId,
      iothubHostname: config.iothubHostname,
      gatewayHostname: config.gatewayHostname,
    },
    state: {
      get: async (key) =>
        (await db.selectFrom("kv").select("value").where("key", "=", key).executeTakeFirst())
          ?.value,
      set: async (key, value) => {
        await db.insertInto("kv").values({ key, value })
          .onConflict((oc) => oc.column("key").doUpdateSet({ value })).execute();
      },
    },
    onReported: async (doc) => {
      await twins.replaceReported(`${deviceId}/$edgeAgent`, doc as never);
    },
    dockerSocket: socketPathOf(config.moby.socket ?? ""),
    network: config.moby.network,
    logger: {
      info: (m) => agentLog.info(m),
      warn: (m) => agentLog.warn(m),
      error: (m) => agentLog.error(m),
    },
    version: VERSION,
  });
  await agent.start();

  const startedAt = new Date();
  const modules: ModulesPort = {
    list: () => {
      const now = new Date();
      // edgeAgent and edgeHub are ledge itself: running for as long as this process.
      const self = (name: string, image: string | undefined) => ({
        name,
        status: "running",
        description: `Up ${humanize(now.getTime() - startedAt.getTime())}`,
        config: image ?? "ledge",
        exitCode: 0,
        restartCount: 0,
        startedAt: startedAt.toISOString(),
      });
      const system = agent.config?.systemModules;
      return Promise.resolve([
        self("edgeAgent", system?.edgeAgent.imageAsWritten),
        self("edgeHub", system?.edgeHub.imageAsWritten),
        ...agent.list().map((m) => ({
          name: m.name,
          status: m.status,
          description: m.status === "unknown" ? m.description : listDescription(m, now),
          config: m.image,
          exitCode: m.exitCode,
          restartCount: m.restartCount,
          startedAt: m.startedAt?.toISOString(),
          finishedAt: m.finishedAt?.toISOString(),
        })),
      ]);
    },
    restart: (name) => agent.restart(name),
    logs: (name, opts) =>
      agent.logs(name, {
        tail: opts.tail ?? "all",
        since: opts.since,
        follow: opts.follow,
        signal: opts.signal,
      }),
  };
  return {
    agent,
    modules,
    close: async () => {
      await agent.stop();
      await workload.closeAll();
    },
  };
}
