/**
 * The MQTT username IoT Hub SDKs send: `{hubHost}/{deviceId}[/{moduleId}]/?api-version=...`,
 * parsed as edgeHub does (`shared/spec/iothub-mqtt.md` §2.2). Pure.
 *
 * @module
 */

export interface ParsedUsername {
  deviceId: string;
  moduleId?: string;
  apiVersion: string;
  params: Map<string, string>;
}

export class UsernameError extends Error {
  override name = "UsernameError";
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new UsernameError("username query is not valid percent-encoding");
  }
}

/** Parses a username; throws UsernameError naming what is wrong. */
export function parseUsername(username: string): ParsedUsername {
  const segments = username.split("/");
  let query: string;
  let ids: string[];
  const last = segments[segments.length - 1];
  if (last.startsWith("?")) {
    query = last.slice(1);
    ids = segments.slice(1, -1);
  } else if (last.includes("api-version=")) {
    // Legacy form without "?": host/device[/module]/api-version=...
    query = last;
    ids = segments.slice(1, -1);
  } else {
    throw new UsernameError("username has no query part (expected .../?api-version=...)");
  }
  if (ids.length < 1 || ids.length > 2) {
    throw new UsernameError("username must be host/device/?... or host/device/module/?...");
  }
  const params = new Map<string, string>();
  for (const pair of query.split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const k = eq < 0 ? pair : pair.slice(0, eq);
    if (!params.has(k)) params.set(k, eq < 0 ? "" : decode(pair.slice(eq + 1)));
  }
  const apiVersion = params.get("api-version");
  if (!apiVersion) throw new UsernameError("username has no api-version");
  const [deviceId, moduleId] = ids;
  if (!deviceId) throw new UsernameError("username has an empty device id");
  if (moduleId === "") throw new UsernameError("username has an empty module id");
  return { deviceId, ...(moduleId === undefined ? {} : { moduleId }), apiVersion, params };
}
