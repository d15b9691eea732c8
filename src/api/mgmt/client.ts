/**
 * The CLI's side of the management API: JSON requests and streamed responses over the
 * daemon's unix socket, with errors that say what to do when the daemon is not there.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import http from "node:http";

export class MgmtClientError extends Error {
  override name = "MgmtClientError";
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

function request(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({
      socketPath,
      method,
      path,
      headers: data ? { "content-type": "application/json", "content-length": data.length } : {},
    }, resolve);
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT" || e.code === "ECONNREFUSED") {
        reject(
          new MgmtClientError(
            `cannot reach ledge at ${socketPath} (${e.code}); is 'ledge run' running with this config?`,
          ),
        );
      } else reject(new MgmtClientError(`management API request failed: ${e.message}`));
    });
    req.end(data);
  });
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of res) chunks.push(c as Uint8Array);
  return Buffer.concat(chunks).toString("utf8");
}

/** A JSON call; throws MgmtClientError with the API's message on a non-2xx status. */
export async function call<T = unknown>(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await request(socketPath, method, path, body);
  const text = await readAll(res);
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const status = res.statusCode ?? 0;
  if (status >= 400) {
    const msg = (parsed as { message?: string })?.message ?? text;
    throw new MgmtClientError(msg || `HTTP ${status}`, status);
  }
  return { status, body: parsed as T };
}

/** A streamed GET: yields body chunks as they arrive. */
export async function* stream(socketPath: string, path: string): AsyncGenerator<Uint8Array> {
  const res = await request(socketPath, "GET", path);
  if ((res.statusCode ?? 0) >= 400) {
    const text = await readAll(res);
    let msg = text;
    try {
      msg = JSON.parse(text).message ?? text;
    } catch { /* plain text */ }
    throw new MgmtClientError(msg, res.statusCode);
  }
  for await (const chunk of res) yield chunk as Uint8Array;
}
