/**
 * Management API: identities (`ledge identity add|list|show|remove`). Responses carry the
 * connection string a device or module uses, with this hub as its gateway.
 *
 * @module
 */
import * as z from "zod";
import { formatConnectionString, type Identity, parseIdentityId } from "../../identity/mod.ts";
import type { MgmtContext } from "./context.ts";
import { type Router, withStatus } from "./router.ts";

export function identityView(ctx: MgmtContext, id: Identity): Record<string, unknown> {
  return {
    id: id.id,
    deviceId: id.deviceId,
    moduleId: id.moduleId ?? null,
    generationId: id.generationId,
    managedBy: id.managedBy,
    status: id.status,
    createdAt: id.createdAt,
    primaryKey: id.primaryKey,
    secondaryKey: id.secondaryKey,
    connectionString: formatConnectionString({
      hostName: ctx.config.iothubHostname,
      deviceId: id.deviceId,
      moduleId: id.moduleId,
      sharedAccessKey: id.primaryKey,
      gatewayHostName: ctx.config.gatewayHostname,
    }),
  };
}

const addBody = z.strictObject({ id: z.string().min(1) });

export function identityRoutes(router: Router, ctx: MgmtContext): void {
  router.add("GET", "/identities", async () => {
    const all = await ctx.registry.list();
    return { identities: all.map((i) => identityView(ctx, i)) };
  });
  router.add("POST", "/identities", async ({ body }) => {
    const { id } = await body(addBody);
    const created = await ctx.registry.add(parseIdentityId(id));
    return withStatus(201, identityView(ctx, created));
  });
  router.add("GET", "/identities/:id", async ({ params }) => {
    const found = await ctx.registry.get(parseIdentityId(params.id));
    if (!found) return withStatus(404, { message: `identity '${params.id}' not found` });
    return identityView(ctx, found);
  });
  router.add("DELETE", "/identities/:id", async ({ params }) => {
    const id = parseIdentityId(params.id);
    // A device goes with its modules: their twins go too.
    const modules = id.moduleId !== undefined ? [] : (await ctx.registry.list())
      .filter((i) => i.deviceId === id.deviceId && i.moduleId !== undefined).map((i) => i.id);
    await ctx.registry.remove(id);
    for (const twinId of [params.id, ...modules]) await ctx.twins.remove(twinId);
  });
}
