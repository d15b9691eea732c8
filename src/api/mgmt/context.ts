/**
 * What the management API serves from: the daemon's parts, as one interface so handlers can
 * be tested with fakes and the agent can be absent (no Docker engine configured).
 *
 * @module
 */
import type { LoadedConfig } from "../../config/mod.ts";
import type { IdentityRegistry } from "../../identity/mod.ts";
import type { C2dQueue } from "../../hub/c2d/mod.ts";
import type { MethodRelay } from "../../hub/methods/mod.ts";
import type { MessageMonitor } from "../../hub/monitor.ts";
import type { TwinStore } from "../../hub/twin/mod.ts";

/** Deployment and module operations (the agent); optional so the hub can run alone. */
export interface ModulesPort {
  list(): Promise<unknown[]>;
  restart(name: string): Promise<void>;
  logs(
    name: string,
    opts: { tail?: number; since?: number; follow: boolean; signal: AbortSignal },
  ): AsyncIterable<Uint8Array>;
}

export interface MgmtContext {
  config: LoadedConfig;
  registry: IdentityRegistry;
  twins: TwinStore;
  methods: MethodRelay;
  c2d: C2dQueue;
  monitor: MessageMonitor;
  caPem(): string;
  /** Applies a deployment manifest: IoT Edge status code and description. */
  deploy(manifest: unknown): Promise<{ code: number; description: string }>;
  modules?: ModulesPort;
}
