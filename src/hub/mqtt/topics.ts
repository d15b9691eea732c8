/**
 * IoT Hub's MQTT topic space, pure: parsing what clients publish, building what the hub
 * publishes, property bags, and which subscription filters an identity may use
 * (`shared/spec/iothub-mqtt.md` §4-§10).
 *
 * @module
 */
import type { IdentityId } from "../../identity/mod.ts";

/** What a client publish means. */
export type InboundTopic =
  | { kind: "telemetry"; deviceId: string; moduleId?: string; bag: string }
  | { kind: "twin-get"; rid: string }
  | { kind: "twin-patch-reported"; rid: string }
  | { kind: "method-response"; status: number; rid: string }
  | { kind: "unknown" };

const telemetry = /^devices\/([^/]+)(?:\/modules\/([^/]+))?\/messages\/events(?:\/([^/]*))?\/?$/;

function queryParam(query: string, name: string): string | undefined {
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const k = eq < 0 ? pair : pair.slice(0, eq);
    if (k === name) return eq < 0 ? "" : safeDecode(pair.slice(eq + 1));
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Classifies a PUBLISH topic from a client. */
export function parseInboundTopic(topic: string): InboundTopic {
  const t = telemetry.exec(topic);
  if (t) {
    return {
      kind: "telemetry",
      deviceId: t[1],
      ...(t[2] === undefined ? {} : { moduleId: t[2] }),
      bag: t[3] ?? "",
    };
  }
  if (topic.startsWith("$iothub/")) {
    const q = topic.indexOf("?");
    const path = q < 0 ? topic : topic.slice(0, q);
    const rid = q < 0 ? undefined : queryParam(topic.slice(q + 1), "$rid");
    if (rid) {
      if (/^\$iothub\/twin\/GET\/?$/.test(path)) return { kind: "twin-get", rid };
      if (/^\$iothub\/twin\/PATCH\/properties\/reported\/?$/.test(path)) {
        return { kind: "twin-patch-reported", rid };
      }
      const m = /^\$iothub\/methods\/res\/(\d{1,3})\/?$/.exec(path);
      if (m) return { kind: "method-response", status: Number(m[1]), rid };
    }
  }
  return { kind: "unknown" };
}

/** Parses `k1=v1&k2=v2`: split on `&`, then the first `=`, percent-decode both; `%24.x` = `$.x`. */
export function parsePropertyBag(bag: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!bag) return out;
  for (const pair of bag.split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const key = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : safeDecode(pair.slice(eq + 1));
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

/** Builds a bag: every key and value percent-encoded, system keys written `%24.xx`. */
export function formatPropertyBag(entries: Iterable<[string, string]>): string {
  const parts: string[] = [];
  for (const [k, v] of entries) {
    const key = k.startsWith("$.")
      ? `%24.${encodeURIComponent(k.slice(2))}`
      : encodeURIComponent(k);
    parts.push(`${key}=${encodeURIComponent(v)}`);
  }
  return parts.join("&");
}

/** `devices/{d}/messages/devicebound/{bag}` — always with the slash (Node needs it). */
export function c2dTopic(deviceId: string, bag: string): string {
  return `devices/${deviceId}/messages/devicebound/${bag}`;
}

/** `devices/{d}/modules/{m}/inputs/{input}/{bag}` — always with the slash after the input. */
export function inputTopic(deviceId: string, moduleId: string, input: string, bag: string): string {
  return `devices/${deviceId}/modules/${moduleId}/inputs/${input}/${bag}`;
}

export function twinResponseTopic(status: number, rid: string, version?: number): string {
  const v = version === undefined ? "" : `&$version=${version}`;
  return `$iothub/twin/res/${status}/?$rid=${rid}${v}`;
}

export function desiredPatchTopic(version: number): string {
  return `$iothub/twin/PATCH/properties/desired/?$version=${version}`;
}

export function methodRequestTopic(method: string, rid: string): string {
  return `$iothub/methods/POST/${method}/?$rid=${rid}`;
}

/** MQTT topic-filter matching with `+` and `#` [MQTT-4.7]. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Whether `identity` may subscribe to `filter`: only its own C2D/inputs topics and the
 * `$iothub` twin and method topics, which are scoped to the connection.
 */
export function maySubscribe(identity: IdentityId, filter: string): boolean {
  const own = identity.moduleId === undefined
    ? `devices/${identity.deviceId}`
    : `devices/${identity.deviceId}/modules/${identity.moduleId}`;
  if (filter.includes("#") && !filter.endsWith("#")) return false;
  const allowed = identity.moduleId === undefined
    ? [`${own}/messages/devicebound/#`, `${own}/messages/devicebound/+`]
    : [`${own}/inputs/#`, `${own}/#`, `${own}/inputs/+/#`];
  allowed.push(
    "$iothub/methods/POST/#",
    "$iothub/twin/res/#",
    "$iothub/twin/PATCH/properties/desired/#",
  );
  return allowed.includes(filter);
}
