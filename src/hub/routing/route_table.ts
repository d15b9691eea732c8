/**
 * The set of routes from `$edgeHub` desired properties (routing.md §1, §5.1;
 * deployment-manifest.md §4): zod schemas for schema 1.0 (string routes) and 1.1+ (string or
 * `{route, priority, timeToLiveSecs}`), all-or-nothing compilation, and per-message matching
 * that yields at most one delivery per endpoint with the best (lowest) priority.
 *
 * @module
 */

import * as z from "zod";
import type { Endpoint } from "./endpoint.ts";
import type { RouteSyntaxError } from "./errors.ts";
import { MessageView, type RouteMessage } from "./message_view.ts";
import { type CompiledRoute, compileRoute } from "./route.ts";

/** Priority of routes that do not set one (edgeHub's internal sentinel, below 9). */
export const DEFAULT_PRIORITY = 2_000_000_000;

/** One route with its delivery settings. `timeToLiveSecs` 0 means "use the global TTL". */
export interface RouteSpec {
  name: string;
  route: string;
  priority: number;
  timeToLiveSecs: number;
}

const nonBlank = (s: string) => s.trim().length > 0;

/** A route value in object form (schema 1.1+). */
export const routeObjectSchema = z.object({
  route: z.string({ error: "route is required and must be a string" }).refine(nonBlank, {
    error: "route must not be empty",
  }),
  priority: z.number({ error: "priority must be a number" }).int({
    error: "priority must be an integer",
  }).min(0, { error: "priority can only be between 0-9" }).max(9, {
    error: "priority can only be between 0-9",
  }).optional(),
  timeToLiveSecs: z.number({ error: "timeToLiveSecs must be a number" }).int({
    error: "timeToLiveSecs must be an integer",
  }).min(0, { error: "timeToLiveSecs must not be negative" }).max(0xffffffff, {
    error: "timeToLiveSecs must fit in 32 bits",
  }).optional(),
});

const routeName = z.string().refine(nonBlank, { error: "route name must not be empty" });

/** One value of `routes` in schema 1.1+: a string, or an object checked field by field. */
const routeValueSchema = z.unknown().transform((value, ctx) => {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: "Malformed route specification" });
    return z.NEVER;
  }
  const parsed = routeObjectSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const field = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    ctx.addIssue({ code: "custom", message: `${field}${issue.message}` });
  }
  return z.NEVER;
});

/** `routes` of `$edgeHub` schema 1.1+: string (legacy) or object values. */
export const edgeHubRoutesSchema = z.record(routeName, routeValueSchema);

/** `routes` of `$edgeHub` schema 1.0: string values only. */
export const edgeHubRoutesSchema10 = z.record(
  routeName,
  z.string({ error: "route must be a string in schema 1.0" }),
);

/** Parsed `routes` value of either schema. */
export type EdgeHubRoutes = z.infer<typeof edgeHubRoutesSchema>;

/** Turns parsed `routes` into RouteSpecs; blank string routes are skipped (as edgeHub does). */
export function routeSpecsFrom(routes: EdgeHubRoutes): RouteSpec[] {
  const specs: RouteSpec[] = [];
  for (const [name, value] of Object.entries(routes)) {
    if (typeof value === "string") {
      if (nonBlank(value)) {
        specs.push({ name, route: value, priority: DEFAULT_PRIORITY, timeToLiveSecs: 0 });
      }
    } else {
      specs.push({
        name,
        route: value.route,
        priority: value.priority ?? DEFAULT_PRIORITY,
        timeToLiveSecs: value.timeToLiveSecs ?? 0,
      });
    }
  }
  return specs;
}

/** Why a route table was rejected: names the route; wraps the compile error if there is one. */
export class RouteTableError extends Error {
  constructor(
    readonly routeName: string,
    readonly reason: string,
    readonly routeError?: RouteSyntaxError,
  ) {
    super(`Error parsing route ${routeName} - ${reason}`);
    this.name = "RouteTableError";
  }
}

/** One delivery decided for a message. */
export interface RouteMatch {
  endpoint: Endpoint;
  endpointKey: string;
  priority: number;
  timeToLiveSecs: number;
  routeName: string;
}

interface TableEntry {
  spec: RouteSpec;
  compiled: CompiledRoute;
}

/** An immutable, fully compiled set of routes. */
export class RouteTable {
  private constructor(private readonly entries: readonly TableEntry[]) {}

  /**
   * Validates and compiles every route, or throws one {@link RouteTableError} naming the first
   * bad route; never returns a partially compiled table.
   */
  static compile(routes: Readonly<Record<string, unknown>>): RouteTable {
    const normalized: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(routes)) {
      // Accept RouteSpec objects too: their `name` field duplicates the key.
      if (typeof value === "object" && value !== null && "name" in value) {
        const { name: _ignored, ...rest } = value as Record<string, unknown>;
        normalized[name] = rest.priority === DEFAULT_PRIORITY
          ? { ...rest, priority: undefined }
          : rest;
      } else {
        normalized[name] = value;
      }
    }
    const parsed = edgeHubRoutesSchema.safeParse(normalized);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const name = issue.path.length > 0 ? String(issue.path[0]) : "";
      throw new RouteTableError(name, issue.message);
    }
    const entries = routeSpecsFrom(parsed.data).map((spec) => {
      try {
        return { spec, compiled: compileRoute(spec.route) };
      } catch (e) {
        if (e instanceof Error && e.name === "RouteSyntaxError") {
          throw new RouteTableError(spec.name, e.message, e as RouteSyntaxError);
        }
        throw e;
      }
    });
    return new RouteTable(entries);
  }

  /** The specs in table order. */
  get specs(): RouteSpec[] {
    return this.entries.map((e) => e.spec);
  }

  /** Each distinct (endpoint, priority) pair the routes deliver to: one queue each. */
  targets(): Array<{ endpointKey: string; priority: number }> {
    const seen = new Map<string, { endpointKey: string; priority: number }>();
    for (const { spec, compiled } of this.entries) {
      seen.set(`${compiled.endpointKey}@${spec.priority}`, {
        endpointKey: compiled.endpointKey,
        priority: spec.priority,
      });
    }
    return [...seen.values()];
  }

  /** Every distinct endpoint referenced by the table, keyed by endpoint key. */
  endpoints(): Map<string, Endpoint> {
    return new Map(this.entries.map((e) => [e.compiled.endpointKey, e.compiled.endpoint]));
  }

  /**
   * Evaluates all routes for one message and returns at most one match per endpoint, keeping
   * the route with the numerically lowest priority (first route wins a tie).
   */
  match(message: RouteMessage | MessageView): RouteMatch[] {
    const view = message instanceof MessageView ? message : new MessageView(message);
    const best = new Map<string, RouteMatch>();
    for (const { spec, compiled } of this.entries) {
      if (!compiled.sourceMatches(view) || compiled.evaluate(view) !== true) continue;
      const prior = best.get(compiled.endpointKey);
      if (prior !== undefined && prior.priority <= spec.priority) continue;
      best.set(compiled.endpointKey, {
        endpoint: compiled.endpoint,
        endpointKey: compiled.endpointKey,
        priority: spec.priority,
        timeToLiveSecs: spec.timeToLiveSecs,
        routeName: spec.name,
      });
    }
    return [...best.values()];
  }
}
