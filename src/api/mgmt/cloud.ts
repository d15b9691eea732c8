/**
 * Management API: the cloud side of IoT Hub, served locally — twins (`ledge twin`), direct
 * methods (`ledge invoke`), cloud-to-device messages (`ledge send`) and the message monitor
 * (`ledge monitor`, newline-delimited JSON).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import * as z from "zod";
import { parseIdentityId } from "../../identity/mod.ts";
import { QueueFullError } from "../../hub/c2d/mod.ts";
import { MAX_METHOD_TIMEOUT_SECS, MethodError } from "../../hub/methods/mod.ts";
import type { HubMessage } from "../../hub/message.ts";
import { monitorEvent } from "../../hub/monitor.ts";
import { TwinPatchError } from "../../hub/twin/mod.ts";
import type { MgmtContext } from "./context.ts";
import { ApiError, type Router, withStatus } from "./router.ts";

const twinPatch = z.strictObject({ desired: z.record(z.string(), z.unknown()) });
const invokeBody = z.strictObject({
  methodName: z.string().min(1),
  payload: z.unknown().optional(),
  responseTimeoutInSeconds: z.number().int().min(1).max(MAX_METHOD_TIMEOUT_SECS).default(30),
});
const sendBody = z.strictObject({
  body: z.string(),
  properties: z.record(z.string(), z.string()).default({}),
  messageId: z.string().min(1).max(128).optional(),
  ttlSecs: z.number().int().min(1).max(172_800).optional(),
});

/** Bytes of monitor output a slow reader may have pending before lines are dropped. */
const MONITOR_HIGH_WATER = 1 << 20;

async function mustExist(ctx: MgmtContext, id: string): Promise<void> {
  // The system modules' twins belong to the edge device; they are ledge itself.
  if (id === `${ctx.config.device_id}/$edgeAgent` || id === `${ctx.config.device_id}/$edgeHub`) {
    return;
  }
  if (!(await ctx.registry.get(parseIdentityId(id)))) {
    throw new ApiError(404, `identity '${id}' not found`);
  }
}

export function cloudRoutes(router: Router, ctx: MgmtContext): void {
  router.add("GET", "/twins/:id", async ({ params }) => {
    await mustExist(ctx, params.id);
    return await ctx.twins.get(params.id);
  });
  router.add("PATCH", "/twins/:id", async ({ params, body }) => {
    await mustExist(ctx, params.id);
    const { desired } = await body(twinPatch);
    try {
      await ctx.twins.patchDesired(params.id, desired);
    } catch (e) {
      if (e instanceof TwinPatchError) throw new ApiError(400, e.message);
      throw e;
    }
    return await ctx.twins.get(params.id);
  });
  router.add("POST", "/methods/:id", async ({ params, body }) => {
    await mustExist(ctx, params.id);
    const b = await body(invokeBody);
    try {
      return await ctx.methods.invoke(
        params.id,
        b.methodName,
        b.payload,
        b.responseTimeoutInSeconds,
      );
    } catch (e) {
      if (e instanceof MethodError) {
        return withStatus(e.status, { message: e.message, errorCode: e.errorCode });
      }
      throw e;
    }
  });
  router.add("POST", "/c2d/:id", async ({ params, body }) => {
    const id = parseIdentityId(params.id);
    if (id.moduleId !== undefined) {
      throw new ApiError(400, "C2D messages go to devices, not modules");
    }
    await mustExist(ctx, params.id);
    const b = await body(sendBody);
    try {
      const messageId = await ctx.c2d.enqueue(id.deviceId, Buffer.from(b.body), b.properties, {
        messageId: b.messageId,
        ttlSecs: b.ttlSecs,
      });
      return withStatus(202, { messageId, queued: await ctx.c2d.depth(id.deviceId) });
    } catch (e) {
      if (e instanceof QueueFullError) throw new ApiError(403, e.message);
      throw e;
    }
  });
  router.add("GET", "/monitor", ({ req, res, query }) => {
    const device = query.get("device");
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    res.write("\n"); // headers out now, so the client knows it is listening
    let dropped = 0;
    const onMessage = (m: HubMessage) => {
      if (device && m.systemProperties.connectionDeviceId !== device) return;
      if (res.writableLength > MONITOR_HIGH_WATER) {
        dropped++;
        return;
      }
      if (dropped) {
        res.write(JSON.stringify({ dropped }) + "\n");
        dropped = 0;
      }
      res.write(JSON.stringify(monitorEvent(m)) + "\n");
    };
    ctx.monitor.on("message", onMessage);
    const stop = () => ctx.monitor.off("message", onMessage);
    req.on("close", stop);
    res.on("close", stop);
  });
  router.add("GET", "/ca-cert", ({ res }) => {
    res.writeHead(200, { "content-type": "application/x-pem-file" });
    res.end(ctx.caPem());
  });
}
