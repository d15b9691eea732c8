/**
 * SAS tokens as IoT Hub and edgeHub use them: building, parsing and exact validation
 * (`shared/spec/iothub-mqtt.md` §3). Pure: the clock and the keys are passed in.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** edgeHub tolerates 5 minutes of clock skew on `se`. */
export const MAX_CLOCK_SKEW_SECS = 300;

/** The parts of a SAS token; `sr` kept exactly as received (still URL-encoded). */
export interface SasToken {
  rawSr: string;
  sig: string;
  se: string;
  skn?: string;
}

/** Why a token was refused. */
export class SasError extends Error {
  override name = "SasError";
}

/**
 * URL-encoding as the Node SDK does it (encodeURIComponent plus `!'()*`, the latter with
 * lower-case hex, so `*` is `%2a` exactly as azure-iot-common writes it).
 */
export function encodeUriComponentStrict(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16)}`,
  );
}

/** `host/devices/d` or `host/devices/d/modules/m`. */
export function resourceUri(hubHost: string, deviceId: string, moduleId?: string): string {
  return moduleId === undefined
    ? `${hubHost}/devices/${deviceId}`
    : `${hubHost}/devices/${deviceId}/modules/${moduleId}`;
}

/** base64(HMAC-SHA256(base64decode(key), data)). */
export function hmacBase64(keyBase64: string, data: string | Uint8Array): string {
  return createHmac("sha256", Buffer.from(keyBase64, "base64")).update(data).digest("base64");
}

/** Builds a token for `resource` (unencoded) expiring at `expirySecs`. */
export function buildSasToken(resource: string, keyBase64: string, expirySecs: number): string {
  const sr = encodeUriComponentStrict(resource);
  const se = String(expirySecs);
  const sig = encodeUriComponentStrict(hmacBase64(keyBase64, `${sr}\n${se}`));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}`;
}

function strictDecode(value: string, field: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new SasError(`SAS token field ${field} is not valid percent-encoding`);
  }
}

/** Parses `SharedAccessSignature sr=..&sig=..&se=..[&skn=..]` (field names case-insensitive). */
export function parseSasToken(token: string): SasToken {
  const parts = token.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0] !== "SharedAccessSignature") {
    throw new SasError("not a SharedAccessSignature token");
  }
  const fields = new Map<string, string>();
  for (const pair of parts[1].split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new SasError(`malformed SAS token field '${pair.slice(0, 32)}'`);
    const name = pair.slice(0, eq).toLowerCase();
    if (!fields.has(name)) fields.set(name, pair.slice(eq + 1));
  }
  const rawSr = fields.get("sr");
  const sig = fields.get("sig");
  const se = fields.get("se");
  if (!rawSr) throw new SasError("SAS token has no sr");
  if (!sig) throw new SasError("SAS token has no sig");
  if (!se) throw new SasError("SAS token has no se");
  const skn = fields.get("skn");
  return {
    rawSr,
    sig: strictDecode(sig, "sig"),
    se: strictDecode(se, "se"),
    ...(skn === undefined ? {} : { skn: strictDecode(skn, "skn") }),
  };
}

/** Who a token is for and the keys to check it with. */
export interface SasExpectation {
  deviceId: string;
  moduleId?: string;
  /** Host names accepted in `sr` (the IoT hub name and the gateway's own). */
  hosts: string[];
  /** Base64 keys to try in order (primary, secondary). */
  keys: string[];
  nowSecs: number;
}

/** Validates a parsed token exactly as edgeHub does; returns its expiry (seconds) or throws. */
export function validateSasToken(token: SasToken, want: SasExpectation): number {
  if (token.skn !== undefined) {
    throw new SasError("tokens signed with a shared access policy (skn) are not accepted");
  }
  if (!/^\d{1,12}$/.test(token.se)) throw new SasError("SAS token se is not a number");
  const expiry = Number(token.se);
  if (expiry + MAX_CLOCK_SKEW_SECS < want.nowSecs) throw new SasError("SAS token has expired");

  const audience = strictDecode(token.rawSr, "sr").split("/");
  let deviceId: string, moduleId: string | undefined;
  if (audience.length === 3 && audience[1] === "devices") {
    deviceId = audience[2];
  } else if (audience.length === 5 && audience[1] === "devices" && audience[3] === "modules") {
    deviceId = audience[2];
    moduleId = audience[4];
  } else {
    throw new SasError("SAS token sr is not a device or module resource");
  }
  const host = audience[0].toLowerCase();
  if (!want.hosts.some((h) => h.toLowerCase() === host)) {
    throw new SasError(`SAS token is for host '${audience[0]}', not this hub`);
  }
  if (deviceId.toLowerCase() !== want.deviceId.toLowerCase()) {
    throw new SasError("SAS token is for another device");
  }
  if ((moduleId ?? "").toLowerCase() !== (want.moduleId ?? "").toLowerCase()) {
    throw new SasError(
      moduleId === undefined
        ? "device-scoped SAS token presented for a module"
        : "SAS token is for another module",
    );
  }

  const given = Buffer.from(token.sig, "base64");
  const stringToSign = `${token.rawSr}\n${token.se}`;
  for (const key of want.keys) {
    const expected = Buffer.from(hmacBase64(key, stringToSign), "base64");
    if (expected.length === given.length && timingSafeEqual(expected, given)) return expiry;
  }
  throw new SasError("SAS token signature does not match the identity's keys");
}
