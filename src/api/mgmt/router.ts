/**
 * A small HTTP router for the management API: routes by method and path pattern
 * (`/identities/:id`), JSON in and out, and errors as `{"message": ...}` with the right
 * status, as IoT Edge's management API does.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import type * as z from "zod";
import { describeIssues } from "../../config/mod.ts";

/** An error the API reports with a status code. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The body parsed as JSON and checked against `schema`; 400 naming the field otherwise. */
  body<T>(schema: z.ZodType<T>): Promise<T>;
}

/** A handler returns a JSON value (200, or `status` from an object with it) or writes itself. */
export type Handler = (ctx: RequestContext) => Promise<unknown> | unknown;

const MAX_BODY = 1 << 20;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Uint8Array).length;
    if (size > MAX_BODY) throw new ApiError(413, `request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Uint8Array);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A response with an explicit status. */
export function withStatus(
  status: number,
  body: unknown,
): { status: number; body: unknown } & { __status: true } {
  return { status, body, __status: true };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export class Router {
  private readonly routes: Array<{ method: string; parts: string[]; handler: Handler }> = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split("/").filter(Boolean), handler });
    return this;
  }

  private match(method: string, path: string) {
    const segs = path.split("/").filter(Boolean);
    for (const r of this.routes) {
      if (r.method !== method || r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        if (r.parts[i].startsWith(":")) {
          try {
            params[r.parts[i].slice(1)] = decodeURIComponent(segs[i]);
          } catch {
            ok = false;
          }
        } else ok = r.parts[i] === segs[i];
      }
      if (ok) return { route: r, params };
    }
    return undefined;
  }

  /** Handles one request; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://ledge");
      const found = this.match(req.method ?? "GET", url.pathname);
      if (!found) throw new ApiError(404, `no route for ${req.method} ${url.pathname}`);
      const ctx: RequestContext = {
        req,
        res,
        params: found.params,
        query: url.searchParams,
        body: async (schema) => {
          const text = await readBody(req);
          let raw: unknown;
          try {
            raw = text ? JSON.parse(text) : {};
          } catch (e) {
            throw new ApiError(400, `request body is not valid JSON: ${(e as Error).message}`);
          }
          const parsed = schema.safeParse(raw);
          if (!parsed.success) throw new ApiError(400, describeIssues(parsed.error.issues, raw));
          return parsed.data;
        },
      };
      const result = await found.route.handler(ctx);
      if (res.headersSent || res.writableEnded) return;
      if (result && typeof result === "object" && "__status" in result) {
        const r = result as unknown as { status: number; body: unknown };
        return sendJson(res, r.status, r.body);
      }
      sendJson(res, result === undefined ? 204 : 200, result);
    } catch (e) {
      const status = e instanceof ApiError ? e.status : (e as { status?: number }).status ?? 500;
      const message = (e as Error).message ?? String(e);
      if (!res.headersSent) sendJson(res, typeof status === "number" ? status : 500, { message });
      else res.end();
    }
  }
}
