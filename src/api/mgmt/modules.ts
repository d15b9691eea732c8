/**
 * Management API: deployments and modules (`ledge deploy`, `list`, `logs`, `restart`),
 * served by the agent when one runs, and the `$edgeHub` routes part of a deployment.
 *
 * @module
 */
import type { MgmtContext, ModulesPort } from "./context.ts";
import { ApiError, type Router } from "./router.ts";
import * as z from "zod";

function agent(ctx: MgmtContext): ModulesPort {
  if (!ctx.modules) {
    throw new ApiError(503, "the agent is not running (no container engine configured)");
  }
  return ctx.modules;
}

/** `tail`: integer or `all`; `since`: unix seconds, RFC 3339, or a duration like `90m`/`1d`. */
export function parseSince(text: string, nowMs: number): number {
  if (/^\d+$/.test(text)) return Number(text);
  const d = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (d) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[d[2] as "s" | "m" | "h" | "d"];
    return Math.floor(nowMs / 1000) - Number(d[1]) * unit;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new ApiError(400, `invalid parameter: since ('${text}')`);
  return Math.floor(t / 1000);
}

const deployBody = z.strictObject({ manifest: z.unknown() });

export function moduleRoutes(router: Router, ctx: MgmtContext): void {
  router.add("POST", "/deploy", async ({ body }) => {
    const { manifest } = await body(deployBody);
    // The deployment was processed either way; its outcome is the IoT Edge code in the body.
    return await ctx.deploy(manifest);
  });
  router.add("GET", "/modules", async () => ({ modules: await agent(ctx).list() }));
  router.add("POST", "/modules/:name/restart", async ({ params }) => {
    await agent(ctx).restart(params.name);
  });
  router.add("GET", "/modules/:name/logs", async ({ params, query, req, res }) => {
    const a = agent(ctx);
    const follow = query.get("follow") ?? "false";
    if (follow !== "true" && follow !== "false") {
      throw new ApiError(400, "invalid parameter: follow");
    }
    const tailText = query.get("tail") ?? "all";
    if (tailText !== "all" && !/^\d+$/.test(tailText)) {
      throw new ApiError(400, "invalid parameter: tail");
    }
    const sinceText = query.get("since");
    const abort = new AbortController();
    req.on("close", () => abort.abort());
    const stream = a.logs(params.name, {
      tail: tailText === "all" ? undefined : Number(tailText),
      since: sinceText ? parseSince(sinceText, Date.now()) : undefined,
      follow: follow === "true",
      signal: abort.signal,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next(); // errors (unknown module) surface before headers
    res.writeHead(200, { "content-type": "text/plain" });
    if (!first.done) res.write(first.value);
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      if (!res.write(r.value)) await new Promise((ok) => res.once("drain", ok));
    }
    res.end();
  });
}
