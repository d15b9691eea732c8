/**
 * The workload API's HTTP/1.1 server on unix sockets (workload-api.md §1). One socket per module,
 * `<dir>/<moduleId>/workload.sock` (mode 0666; the directory is what gets bind-mounted into the
 * module's container), so the socket a request arrives on names the caller: this replaces the
 * daemon's peer-PID → container check, which node:net cannot do. Bodies are bounded in size and
 * read with a timeout (408), errors are always `{"message": ...}` JSON, and a failing dependency
 * never takes the server down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { chmod, lstat, mkdir, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { handleWorkload, type WorkloadDeps } from "./handlers.ts";
import { routeRequest, routeTakesBody, WorkloadError } from "./routes.ts";

/** Tunables shared by {@link startWorkloadServer} and {@link WorkloadApi}. */
export interface WorkloadServerTuning {
  /** Body read timeout in ms (spec: 5 s → 408). */
  bodyTimeoutMs?: number;
  /** Largest accepted request body (bounded memory); default 64 KiB → 413 beyond. */
  maxBodyBytes?: number;
}

/** Options of {@link startWorkloadServer}. */
export interface WorkloadServerOptions extends WorkloadServerTuning {
  socketPath: string;
  /** The module this socket belongs to (e.g. `$edgeHub`, `filterModule`). */
  moduleId: string;
  deps: WorkloadDeps;
}

/** A listening workload socket. */
export interface WorkloadServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

/** Linux `sun_path` is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Listens on `socketPath` for one module. Replaces a stale socket file, never a regular file. */
export async function startWorkloadServer(options: WorkloadServerOptions): Promise<WorkloadServer> {
  const { socketPath, moduleId, deps } = options;
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new RangeError(
      `socketPath: ${bytes} bytes exceeds the ${MAX_SOCKET_PATH_BYTES}-byte limit`,
    );
  }
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  await removeStaleSocket(socketPath);

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    serve(req, res, moduleId, deps, options).catch((err) => {
      // Last resort: serve() answers every expected failure itself.
      if (!res.headersSent) sendJson(res, 500, { message: `internal error: ${String(err)}` });
      else res.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket: Socket) => socket.destroy());
  // Bounded resources: modules open a handful of connections; slow senders are cut off.
  server.maxConnections = 64;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o666);

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        await rm(socketPath, { force: true });
      })();
      return closing;
    },
  };
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const stat = await lstat(path);
    if (!stat.isSocket()) throw new Error(`socketPath: ${path} exists and is not a socket`);
    await rm(path);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
  }
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  moduleId: string,
  deps: WorkloadDeps,
  tuning: WorkloadServerTuning,
): Promise<void> {
  try {
    const { route } = routeRequest(req.method ?? "GET", req.url ?? "/");
    const body = routeTakesBody(route)
      ? await readBody(req, tuning.maxBodyBytes ?? 64 * 1024, tuning.bodyTimeoutMs ?? 5000)
      : new Uint8Array(0);
    const contentType = req.headers["content-type"];
    const result = await handleWorkload({ moduleId, route, body, contentType }, deps);
    sendJson(res, result.status, result.body);
  } catch (err) {
    if (err instanceof WorkloadError) {
      // After 408/413 the rest of the body is unread: close rather than parse it as a request.
      if (err.status === 408 || err.status === 413) res.setHeader("Connection", "close");
      sendJson(res, err.status, { message: err.message });
    } else {
      sendJson(res, 500, { message: `internal error: ${(err as Error)?.message ?? String(err)}` });
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads the whole body, failing with 413 past `limit` bytes and 408 after `timeoutMs`. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err?: WorkloadError) => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(new Uint8Array(Buffer.concat(chunks)));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new WorkloadError(413, `request body exceeds ${limit} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(new WorkloadError(400, `request body: ${err.message}`));
    const timer = setTimeout(
      () => finish(new WorkloadError(408, `timed out reading request body after ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

const MODULE_ID_RE = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

/**
 * Manages one workload socket per module under `dir`: `open()` before the module's container
 * starts, `close()` when it stops (the socket file is removed).
 */
export class WorkloadApi {
  readonly #servers = new Map<string, Promise<WorkloadServer>>();

  constructor(
    readonly dir: string,
    private readonly deps: WorkloadDeps,
    private readonly tuning: WorkloadServerTuning = {},
  ) {}

  /** `<dir>/<moduleId>/workload.sock`; throws for ids that are not safe path segments. */
  socketPathOf(moduleId: string): string {
    if (!MODULE_ID_RE.test(moduleId) || moduleId === "." || moduleId === "..") {
      throw new RangeError(`moduleId: "${moduleId}" is not a valid module id`);
    }
    return join(this.dir, moduleId, "workload.sock");
  }

  /** Starts (or returns the running) socket of `moduleId`; resolves to its path. */
  async open(moduleId: string): Promise<string> {
    let server = this.#servers.get(moduleId);
    if (!server) {
      server = startWorkloadServer({
        ...this.tuning,
        socketPath: this.socketPathOf(moduleId),
        moduleId,
        deps: this.deps,
      });
      this.#servers.set(moduleId, server);
      server.catch(() => this.#servers.delete(moduleId));
    }
    return (await server).socketPath;
  }

  /** Stops the module's socket and removes the socket file (no-op when not open). */
  async close(moduleId: string): Promise<void> {
    const server = this.#servers.get(moduleId);
    if (!server) return;
    this.#servers.delete(moduleId);
    await (await server).close();
  }

  /** Module ids with an open (or opening) socket. */
  get openModules(): string[] {
    return [...this.#servers.keys()];
  }

  /** Closes every socket. */
  async closeAll(): Promise<void> {
    await Promise.allSettled(this.openModules.map((id) => this.close(id)));
  }
}
