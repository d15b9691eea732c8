/**
 * The container-engine interface the agent needs, as a small typed surface. The executor,
 * reconciler and Agent talk only to this; `DockerEngine` (docker_engine.ts) implements it with
 * dockerode, and unit tests can supply a fake. Errors carry the engine's HTTP status when known.
 */
import type { ActualContainer } from "./types.ts";

/** Registry credentials for one pull (Docker's X-Registry-Auth fields). */
export interface PullAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** Options for reading container logs. */
export interface LogOptions {
  /** Number of lines from the end, or "all". */
  tail?: number | "all";
  /** Unix seconds; only lines after this time. */
  since?: number;
  /** Unix seconds; only lines before this time. */
  until?: number;
  follow?: boolean;
  timestamps?: boolean;
  signal?: AbortSignal;
}

/** A container lifecycle event from the engine's event stream. */
export interface EngineEvent {
  action: string;
  id: string;
  name?: string;
  time: number;
}

/** An error from the engine, with the HTTP status code when the engine answered. */
export class EngineError extends Error {
  constructor(message: string, readonly statusCode?: number) {
    super(message);
  }
  /** True when the engine could not be reached at all (socket missing, refused, reset). */
  get unreachable(): boolean {
    return this.statusCode === undefined;
  }
}

/** Operations on the container engine used by the agent. */
export interface Engine {
  /** Resolves when the engine answers `/_ping`. */
  ping(): Promise<void>;
  /** All containers (any state) with label `owner-label=owner`, inspected. */
  listOwned(ownerLabel: string, owner: string): Promise<ActualContainer[]>;
  /** Pull an image; rejects with the registry's message on failure. */
  pull(image: string, auth?: PullAuth, signal?: AbortSignal): Promise<void>;
  /** Create a container named `name`; returns its id. */
  create(name: string, body: Record<string, unknown>): Promise<string>;
  /** Start; already-running is not an error. */
  start(nameOrId: string): Promise<void>;
  /** Stop with a grace period in seconds; already-stopped is not an error. */
  stop(nameOrId: string, timeoutSec: number): Promise<void>;
  /** Remove (forced); missing is not an error. */
  remove(nameOrId: string): Promise<void>;
  /** Create the network unless one with that name exists. */
  ensureNetwork(name: string): Promise<void>;
  /** Demultiplexed log bytes (stdout and stderr interleaved as written). */
  logs(nameOrId: string, opts: LogOptions): AsyncIterable<Uint8Array>;
  /** Container events until `signal` aborts or the engine goes away (then the iterable ends). */
  events(signal: AbortSignal): AsyncIterable<EngineEvent>;
}
