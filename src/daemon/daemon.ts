/**
 * `ledge run`: assembles the daemon from its parts — state database, identity registry, PKI,
 * the hub (MQTT endpoint, twins, methods, C2D, message sink) and the management API — and
 * takes it down in reverse order.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LoadedConfig } from "../config/mod.ts";
import { openDatabase } from "../db/mod.ts";
import { IdentityRegistry } from "../identity/mod.ts";
import { Pki } from "../identity/pki/mod.ts";
import type { Logger } from "../log/mod.ts";
import { SasAuthenticator } from "../hub/auth/mod.ts";
import { C2dQueue } from "../hub/c2d/mod.ts";
import { MethodRelay } from "../hub/methods/mod.ts";
import { MessageMonitor } from "../hub/monitor.ts";
import { MessageRouter } from "../hub/router/mod.ts";
import { SegmentLog } from "../hub/store/mod.ts";
import { validateManifest } from "../agent/manifest.ts";
import type { AgentParts } from "./agent_wiring.ts";
import { HubDeploymentError, parseHubDesired, routesFromConfig } from "./hub_deployment.ts";
import { MqttServer, parseHostPort } from "../hub/mqtt/mod.ts";
import { twinChangeMessage, TwinStore } from "../hub/twin/mod.ts";
import { startMgmtServer } from "../api/mgmt/mod.ts";
import { collectStartupGarbage } from "../platform/mod.ts";

export interface Daemon {
  /** Bound ports (useful when the config asked for port 0). */
  ports: { mqtts?: number; mqtt?: number };
  close(): Promise<void>;
}

const RENEWAL_CHECK_MS = 6 * 3600 * 1000;
/** Where the last applied `$edgeHub` desired properties are kept. */
const HUB_ROUTES_KEY = "edgehub.desired";

/** Starts everything; rejects (having opened nothing that stays open) if a part fails. */
export async function startDaemon(config: LoadedConfig, log: Logger): Promise<Daemon> {
  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    routesFromConfig(config.routes); // a bad route in the config fails before any port opens
    mkdirSync(config.dataDir, { recursive: true });
    const db = await openDatabase(join(config.dataDir, "state.db"));
    closers.push(() => db.destroy());
    const registry = new IdentityRegistry(db);
    await registry.ensure({ deviceId: config.device_id }, { managedBy: "ledge" });

    const pki = new Pki(join(config.dataDir, "pki"));
    const ensured = await pki.ensure({ hostname: config.hostname, deviceId: config.device_id });
    for (const r of ensured.reasons) log.info("pki", { reason: r });

    const twins = new TwinStore(db);
    const methods = new MethodRelay();
    const c2d = new C2dQueue(db);
    const monitor = new MessageMonitor();

    const storeLog = log.child("store");
    const messageLog = await SegmentLog.open(
      resolve(config.dataDir, config.store.dir ?? "messages"),
      {
        fsync: config.store.fsync,
        syncIntervalMs: config.store.fsync_interval_ms,
        segmentBytes: config.store.segment_bytes,
        tailCacheBytes: config.store.tail_cache_bytes,
        maxDiskBytes: config.store.max_bytes,
        timeToLiveSecs: config.store.time_to_live_secs,
        logger: {
          info: (m) => storeLog.info(m),
          warn: (m) => storeLog.warn(m),
          error: (m) => storeLog.error(m),
        },
      },
    );
    closers.push(() => messageLog.close());
    const router = new MessageRouter(
      messageLog,
      monitor,
      log.child("router"),
      config.store.time_to_live_secs,
    );
    closers.push(() => router.close());
    const saved = await db.selectFrom("kv").select("value").where("key", "=", HUB_ROUTES_KEY)
      .executeTakeFirst();
    const savedHub = saved ? parseHubDesired(JSON.parse(saved.value)) : undefined;
    if (savedHub?.timeToLiveSecs !== undefined) router.setDefaultTtl(savedHub.timeToLiveSecs);
    await router.setRoutes(savedHub?.table ?? routesFromConfig(config.routes));

    let agentParts: AgentParts | undefined;

    twins.on("reported", (id, patch, version) => {
      router.accept(twinChangeMessage(id, patch, version)).catch((e) =>
        log.warn("twin change notification not stored", { id, error: String(e) })
      );
    });

    /** Applies a deployment: validated whole, then the hub's routes, then the modules. */
    const deploy = async (manifest: unknown) => {
      const v = validateManifest(manifest);
      if (!v.ok) return { code: v.code, description: v.description };
      const hubDesired = v.config.edgeHub?.properties;
      if (hubDesired) {
        let hub;
        try {
          hub = parseHubDesired(hubDesired);
        } catch (e) {
          if (e instanceof HubDeploymentError) return { code: 400, description: e.message };
          throw e;
        }
        await router.setRoutes(hub.table);
        // Messages already on disk keep the log's retention (store.time_to_live_secs); the
        // deployment's TTL decides what the queues still deliver.
        router.setDefaultTtl(hub.timeToLiveSecs ?? config.store.time_to_live_secs);
        await db.insertInto("kv").values({ key: HUB_ROUTES_KEY, value: JSON.stringify(hubDesired) })
          .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(hubDesired) }))
          .execute();
        await twins.replaceDesired(`${config.device_id}/$edgeHub`, hubDesired as never);
        log.info("routes applied", { routes: Object.keys(hub.routes).length });
      }
      // Module twins in the envelope: their desired properties replace what the twin had.
      for (const [module, desired] of Object.entries(v.config.moduleTwins ?? {})) {
        await twins.replaceDesired(`${config.device_id}/${module}`, desired as never);
      }
      if (agentParts) return await agentParts.agent.deploy(manifest);
      return { code: 200, description: "" };
    };

    const mqtt = new MqttServer({
      auth: new SasAuthenticator(registry, [config.iothubHostname, config.hostname]),
      sink: router,
      twins,
      methods,
      feeds: {
        c2d: (d) => c2d.feed(d),
        inputs: (d, m) => router.inputsFeed(d, m),
      },
      limits: {
        maxMessageBytes: config.mqtt.max_message_bytes,
        maxInflight: config.mqtt.max_inflight,
        maxInboundBytes: config.mqtt.max_inbound_bytes,
        maxOutboundInflight: config.mqtt.max_outbound_inflight,
        maxOutboundBytes: config.mqtt.max_outbound_bytes,
        maxKeepaliveSecs: config.mqtt.max_keepalive_secs,
        connectTimeoutMs: config.mqtt.connect_timeout_ms,
        maxConnections: config.mqtt.max_connections,
      },
      log,
      nowSecs: () => Math.floor(Date.now() / 1000),
    });
    closers.push(() => mqtt.close());
    const { keyPem, certPem } = pki.serverCert;
    const ports = await mqtt.listen({
      ...(config.listen.mqtts
        ? { mqtts: { ...parseHostPort(config.listen.mqtts), key: keyPem, cert: certPem } }
        : {}),
      ...(config.listen.mqtt ? { mqtt: parseHostPort(config.listen.mqtt) } : {}),
    });

    // Modules start once the hub listens, so their first connection finds it.
    if (config.moby.socket) {
      // Loaded only when an agent runs: dockerode and the agent add ~7 MB of RSS.
      const { startAgent } = await import("./agent_wiring.ts");
      const started = await startAgent({ config, db, registry, twins, pki, log });
      agentParts = started;
      closers.push(() => started.close());
    }

    const renewal = setInterval(async () => {
      try {
        const r = await pki.ensure({ hostname: config.hostname, deviceId: config.device_id });
        if (r.serverRenewed || r.caRenewed) {
          mqtt.setCertificate(pki.serverCert.keyPem, pki.serverCert.certPem);
          log.info("hub certificate renewed", { reasons: r.reasons });
        }
      } catch (e) {
        log.error("certificate renewal failed", { error: String(e) });
      }
    }, RENEWAL_CHECK_MS);
    closers.push(() => clearInterval(renewal));

    const mgmt = await startMgmtServer(config.mgmtSocketPath, {
      config,
      registry,
      twins,
      methods,
      c2d,
      monitor,
      caPem: () => pki.caPem,
      deploy,
      modules: agentParts?.modules,
    });
    closers.push(() => mgmt.close());

    log.info("ledge is running", {
      config: config.source,
      dataDir: config.dataDir,
      mqtts: ports.mqtts,
      mqtt: ports.mqtt,
      mgmt: config.mgmtSocketPath,
    });
    // Once the startup's garbage is garbage (a timer turn later), return it to the OS.
    const settle = setTimeout(collectStartupGarbage, 500);
    closers.push(() => clearTimeout(settle));
    return { ports, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
