/**
 * Pure request routing for the workload API (workload-api.md §1.2, §2, §4): checks the mandatory
 * `api-version` query parameter first, then matches the anchored path patterns, percent-decodes
 * `{name}`/`{genid}` segments and strips a leading `$` from module names. No I/O: it turns a
 * method + URL into a typed route or a typed error.
 */

/** Every api-version the workload routes accept ("2018-06-28 and later"). */
export const API_VERSIONS = [
  "2018-06-28",
  "2019-01-30",
  "2019-10-22",
  "2019-11-05",
  "2020-07-07",
  "2021-12-07",
  "2022-08-03",
] as const;

/** One of {@link API_VERSIONS}. */
export type ApiVersion = typeof API_VERSIONS[number];

/** An error with the HTTP status and the exact `message` text of the error JSON. */
export class WorkloadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "WorkloadError";
  }
}

/** A matched workload route. `name` is decoded with any leading `$` removed. */
export type WorkloadRoute =
  | { kind: "listModules" }
  | { kind: "sign"; name: string; genid: string }
  | { kind: "encrypt"; name: string; genid: string }
  | { kind: "decrypt"; name: string; genid: string }
  | { kind: "identityCert"; name: string }
  | { kind: "serverCert"; name: string; genid: string }
  | { kind: "trustBundle" }
  | { kind: "manifestTrustBundle" };

/** Routes that read a JSON request body. */
export function routeTakesBody(route: WorkloadRoute): boolean {
  return route.kind !== "listModules" && route.kind !== "trustBundle" &&
    route.kind !== "manifestTrustBundle";
}

type Pattern = {
  re: RegExp;
  method: "GET" | "POST";
  build: (segments: string[]) => WorkloadRoute;
};

const SEG = "([^/]+)";
const PATTERNS: Pattern[] = [
  { re: /^\/modules\/?$/, method: "GET", build: () => ({ kind: "listModules" }) },
  {
    re: new RegExp(`^/modules/${SEG}/genid/${SEG}/sign$`),
    method: "POST",
    build: ([name, genid]) => ({ kind: "sign", name, genid }),
  },
  {
    re: new RegExp(`^/modules/${SEG}/genid/${SEG}/encrypt$`),
    method: "POST",
    build: ([name, genid]) => ({ kind: "encrypt", name, genid }),
  },
  {
    re: new RegExp(`^/modules/${SEG}/genid/${SEG}/decrypt$`),
    method: "POST",
    build: ([name, genid]) => ({ kind: "decrypt", name, genid }),
  },
  {
    re: new RegExp(`^/modules/${SEG}/certificate/identity$`),
    method: "POST",
    build: ([name]) => ({ kind: "identityCert", name }),
  },
  {
    re: new RegExp(`^/modules/${SEG}/genid/${SEG}/certificate/server$`),
    method: "POST",
    build: ([name, genid]) => ({ kind: "serverCert", name, genid }),
  },
  { re: /^\/trust-bundle$/, method: "GET", build: () => ({ kind: "trustBundle" }) },
  {
    re: /^\/manifest-trust-bundle$/,
    method: "GET",
    build: () => ({ kind: "manifestTrustBundle" }),
  },
];

/** Removes one leading `$` (`$edgeHub` → `edgeHub`), as the daemon does before authorization. */
export function stripDollar(name: string): string {
  return name.startsWith("$") ? name.slice(1) : name;
}

/** The routed request: api-version plus route. */
export interface RoutedRequest {
  apiVersion: ApiVersion;
  route: WorkloadRoute;
}

/**
 * Routes `method` + `url` (path and query, as in `IncomingMessage.url`).
 * Throws {@link WorkloadError} with the spec's status and message.
 */
export function routeRequest(method: string, url: string): RoutedRequest {
  const queryStart = url.indexOf("?");
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const query = new URLSearchParams(queryStart < 0 ? "" : url.slice(queryStart + 1));
  const version = query.get("api-version");
  if (version === null) throw new WorkloadError(400, "api-version not specified");
  if (!(API_VERSIONS as readonly string[]).includes(version)) {
    throw new WorkloadError(400, `invalid api-version "${version}"`);
  }
  for (const pattern of PATTERNS) {
    const m = pattern.re.exec(path);
    if (!m) continue;
    let segments: string[];
    try {
      segments = m.slice(1).map((s) => decodeURIComponent(s));
    } catch {
      throw new WorkloadError(404, "not found");
    }
    if (segments.some((s) => s === "" || s.includes("/"))) {
      throw new WorkloadError(404, "not found");
    }
    if (method !== pattern.method) throw new WorkloadError(400, "method not allowed");
    const route = pattern.build(segments);
    if ("name" in route) route.name = stripDollar(route.name);
    return { apiVersion: version as ApiVersion, route };
  }
  throw new WorkloadError(404, "not found");
}
