/**
 * The `$edgeHub` part of a deployment: routes (schema 1.0 strings, 1.1+ objects with priority
 * and TTL) and `storeAndForwardConfiguration.timeToLiveSecs`, compiled whole before anything
 * changes. A route that does not compile rejects the deployment with its name and position.
 *
 * @module
 */
import * as z from "zod";
import { describeIssues } from "../config/mod.ts";
import {
  edgeHubRoutesSchema,
  edgeHubRoutesSchema10,
  RouteTable,
  RouteTableError,
} from "../hub/routing/mod.ts";

/** A deployment's hub settings, ready to apply. */
export interface HubDeployment {
  table: RouteTable;
  /** The raw routes as given (persisted, shown back). */
  routes: Record<string, unknown>;
  timeToLiveSecs?: number;
}

export class HubDeploymentError extends Error {
  override name = "HubDeploymentError";
}

const storeAndForward = z.object({
  timeToLiveSecs: z.number().int().min(0).optional(),
}).loose().optional();

/** Compiles `$edgeHub` desired properties; throws HubDeploymentError naming what is wrong. */
export function parseHubDesired(desired: Record<string, unknown>): HubDeployment {
  const sv = String(desired.schemaVersion ?? "1.0");
  const schema = sv.startsWith("1.0") ? edgeHubRoutesSchema10 : edgeHubRoutesSchema;
  const routes = schema.safeParse(desired.routes ?? {});
  if (!routes.success) {
    throw new HubDeploymentError(
      `$edgeHub.routes: ${describeIssues(routes.error.issues, desired.routes)}`,
    );
  }
  const sf = storeAndForward.safeParse(desired.storeAndForwardConfiguration);
  if (!sf.success) {
    throw new HubDeploymentError(
      `$edgeHub.storeAndForwardConfiguration: ${
        describeIssues(sf.error.issues, desired.storeAndForwardConfiguration)
      }`,
    );
  }
  try {
    return {
      table: RouteTable.compile(routes.data),
      routes: routes.data as Record<string, unknown>,
      timeToLiveSecs: sf.data?.timeToLiveSecs,
    };
  } catch (e) {
    if (e instanceof RouteTableError) throw new HubDeploymentError(e.message);
    throw e;
  }
}

/** Routes from the config file (`routes: {name: "FROM ... INTO ..."}`). */
export function routesFromConfig(routes: Record<string, string>): RouteTable {
  try {
    return RouteTable.compile(routes);
  } catch (e) {
    if (e instanceof RouteTableError) throw new HubDeploymentError(`config routes: ${e.message}`);
    throw e;
  }
}
