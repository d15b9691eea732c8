/**
 * `Engine` implemented with dockerode over the Docker/Moby unix socket. It translates engine
 * answers into ActualContainer values and typed EngineErrors (no statusCode = unreachable),
 * treats "already started/stopped/removed" as success, parses pull progress for registry errors,
 * and demultiplexes logs. dockerode ships no types, so its values are `any` at this boundary
 * only and are read field by field into typed values.
 */
import Docker from "dockerode";
import type { ActualContainer } from "./types.ts";
import {
  type Engine,
  EngineError,
  type EngineEvent,
  type LogOptions,
  type PullAuth,
} from "./engine.ts";
import { LogDemuxer } from "./log_stream.ts";
import { LABELS } from "./container_spec.ts";

const MAX_LINE = 1 << 20;

// deno-lint-ignore no-explicit-any -- untyped dockerode values, read field by field
type Raw = any;

/** Docker engine at a unix socket path (default /var/run/docker.sock). */
export class DockerEngine implements Engine {
  // deno-lint-ignore no-explicit-any -- dockerode has no type declarations
  readonly #docker: any;

  constructor(socketPath = "/var/run/docker.sock") {
    this.#docker = new Docker({ socketPath });
  }

  async ping(): Promise<void> {
    await call(() => this.#docker.ping());
  }

  async listOwned(ownerLabel: string, owner: string): Promise<ActualContainer[]> {
    const list: { Id: string }[] = await call(() =>
      this.#docker.listContainers({ all: true, filters: { label: [`${ownerLabel}=${owner}`] } })
    );
    const inspected = await Promise.all(list.map(async (c) => {
      try {
        return toActual(await call(() => this.#docker.getContainer(c.Id).inspect()));
      } catch (e) {
        if (e instanceof EngineError && e.statusCode === 404) return undefined; // removed meanwhile
        throw e;
      }
    }));
    return inspected.filter((c): c is ActualContainer => c !== undefined);
  }

  async pull(image: string, auth?: PullAuth, signal?: AbortSignal): Promise<void> {
    const opts: Record<string, unknown> = auth ? { authconfig: auth } : {};
    const stream = await call<Raw>(() => this.#docker.pull(image, opts));
    const onAbort = () => stream.destroy(new Error("pull aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const obj of jsonLines(stream)) {
        const err = (obj as { error?: unknown }).error;
        if (typeof err === "string") throw new EngineError(`pull ${image}: ${err}`, 500);
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async create(name: string, body: Record<string, unknown>): Promise<string> {
    const c = await call<Raw>(() => this.#docker.createContainer({ ...body, name }));
    return c.id as string;
  }

  async start(nameOrId: string): Promise<void> {
    await call(() => this.#docker.getContainer(nameOrId).start(), [304]);
  }

  async stop(nameOrId: string, timeoutSec: number): Promise<void> {
    await call(() => this.#docker.getContainer(nameOrId).stop({ t: timeoutSec }), [304, 404]);
  }

  async remove(nameOrId: string): Promise<void> {
    await call(() => this.#docker.getContainer(nameOrId).remove({ force: true }), [404]);
  }

  async ensureNetwork(name: string): Promise<void> {
    const nets: { Name: string }[] = await call(() =>
      this.#docker.listNetworks({ filters: { name: [name] } })
    );
    if (nets.some((n) => n.Name === name)) return;
    await call(() => this.#docker.createNetwork({ Name: name, Driver: "bridge" }), [409]);
  }

  async *logs(nameOrId: string, o: LogOptions): AsyncIterable<Uint8Array> {
    const container = this.#docker.getContainer(nameOrId);
    const info = await call<Raw>(() => container.inspect());
    const tty = Boolean(info?.Config?.Tty);
    const opts: Record<string, unknown> = {
      stdout: true,
      stderr: true,
      follow: Boolean(o.follow),
      tail: o.tail ?? "all",
      timestamps: Boolean(o.timestamps),
    };
    if (o.since !== undefined) opts.since = o.since;
    if (o.until !== undefined) opts.until = o.until;
    const demux = new LogDemuxer();
    const out = (chunk: Uint8Array) => tty ? [chunk] : demux.push(chunk).map((f) => f.data);
    const res = await call<Raw>(() => container.logs(opts));
    if (!o.follow) {
      for (const piece of out(new Uint8Array(res))) yield piece;
      return;
    }
    const onAbort = () => res.destroy();
    if (o.signal?.aborted) return res.destroy();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const chunk of res) {
        for (const piece of out(chunk as Uint8Array)) yield piece;
      }
    } catch (e) {
      if (!o.signal?.aborted) throw e;
    } finally {
      o.signal?.removeEventListener("abort", onAbort);
      res.destroy();
    }
  }

  async *events(signal: AbortSignal): AsyncIterable<EngineEvent> {
    if (signal.aborted) return;
    const stream = await call<Raw>(() =>
      this.#docker.getEvents({ filters: { type: ["container"], label: [LABELS.module] } })
    );
    const onAbort = () => stream.destroy();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const e of jsonLines(stream)) {
        const ev = e as {
          Action?: string;
          status?: string;
          id?: string;
          time?: number;
          Actor?: { Attributes?: Record<string, string> };
        };
        yield {
          action: ev.Action ?? ev.status ?? "",
          id: ev.id ?? "",
          name: ev.Actor?.Attributes?.name,
          time: (ev.time ?? 0) * 1000,
        };
      }
    } catch {
      // The engine went away or we aborted: the iterable just ends; the reconciler notices.
    } finally {
      signal.removeEventListener("abort", onAbort);
      stream.destroy();
    }
  }
}

/** Run a dockerode call, mapping its errors to EngineError; `okCodes` count as success. */
async function call<T>(fn: () => Promise<T>, okCodes: number[] = []): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e as { statusCode?: number; json?: { message?: string }; message?: string };
    if (err.statusCode !== undefined && okCodes.includes(err.statusCode)) return undefined as T;
    const msg = err.json?.message ?? err.message ?? String(e);
    throw new EngineError(msg.trim(), err.statusCode);
  }
}

/** Newline-delimited JSON objects from a byte stream (lines capped at 1 MiB). */
async function* jsonLines(stream: AsyncIterable<Uint8Array>): AsyncIterable<unknown> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    if (buf.length > MAX_LINE) throw new EngineError("engine sent an over-long line");
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buf.trim()) yield JSON.parse(buf);
}

// deno-lint-ignore no-explicit-any -- raw inspect JSON from dockerode, read field by field
function toActual(info: any): ActualContainer {
  const labels: Record<string, string> = info?.Config?.Labels ?? {};
  const state = info?.State ?? {};
  return {
    id: String(info.Id),
    name: String(info.Name ?? "").replace(/^\//, ""),
    configHash: labels[LABELS.configHash] ?? "",
    image: labels[LABELS.originalImage] ?? String(info?.Config?.Image ?? ""),
    imageId: String(info.Image ?? ""),
    state: String(state.Status ?? "unknown"),
    exitCode: Number(state.ExitCode ?? 0),
    startedAt: dockerTime(state.StartedAt),
    finishedAt: dockerTime(state.FinishedAt),
    health: state.Health?.Status ?? "none",
    error: state.Error ? String(state.Error) : undefined,
  };
}

/** Docker uses 0001-01-01T00:00:00Z for "never". */
function dockerTime(s: unknown): Date | undefined {
  if (typeof s !== "string" || s.startsWith("0001-")) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
