/**
 * The record the router stores once per message: the endpoints the message was routed to
 * (with each route's priority and TTL) followed by the encoded message. Endpoints keep
 * offsets into the log, never copies. Pure.
 *
 * Layout: u8 count, then per target: u16 key length, key (UTF-8), u32 priority, i32 TTL secs
 * (-1 = the store's default); then the message bytes (`encodeMessage`).
 *
 * @module
 */

/** One endpoint a message was routed to. */
export interface RouteTarget {
  endpointKey: string;
  priority: number;
  /** Seconds; -1 means the store-and-forward default. */
  timeToLiveSecs: number;
}

export class RoutedRecordError extends Error {
  override name = "RoutedRecordError";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Frames targets + message bytes into one record. */
export function encodeRoutedRecord(targets: RouteTarget[], message: Uint8Array): Uint8Array {
  if (targets.length === 0 || targets.length > 255) {
    throw new RoutedRecordError(`a record needs 1..255 targets, got ${targets.length}`);
  }
  const keys = targets.map((t) => encoder.encode(t.endpointKey));
  const headerBytes = 1 + keys.reduce((n, k) => n + 2 + k.length + 8, 0);
  const out = new Uint8Array(headerBytes + message.length);
  const view = new DataView(out.buffer);
  out[0] = targets.length;
  let o = 1;
  targets.forEach((t, i) => {
    if (keys[i].length > 0xffff) throw new RoutedRecordError("endpoint key too long");
    view.setUint16(o, keys[i].length);
    out.set(keys[i], o + 2);
    o += 2 + keys[i].length;
    view.setUint32(o, t.priority >>> 0);
    view.setInt32(o + 4, t.timeToLiveSecs);
    o += 8;
  });
  out.set(message, o);
  return out;
}

/** Splits a record into its targets and the message bytes (a view). */
export function decodeRoutedRecord(
  bytes: Uint8Array,
): { targets: RouteTarget[]; message: Uint8Array } {
  const fail = (why: string): never => {
    throw new RoutedRecordError(`routed record: ${why}`);
  };
  if (bytes.length < 1) fail("empty");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes[0];
  const targets: RouteTarget[] = [];
  let o = 1;
  for (let i = 0; i < count; i++) {
    if (o + 2 > bytes.length) fail("truncated target key length");
    const len = view.getUint16(o);
    if (o + 2 + len + 8 > bytes.length) fail("truncated target");
    const endpointKey = decoder.decode(bytes.subarray(o + 2, o + 2 + len));
    o += 2 + len;
    targets.push({
      endpointKey,
      priority: view.getUint32(o),
      timeToLiveSecs: view.getInt32(o + 4),
    });
    o += 8;
  }
  return { targets, message: bytes.subarray(o) };
}

/**
 * The hot path of every queue: whether a record is routed to the endpoint whose UTF-8 key is
 * `key` at `priority`, comparing bytes (no strings, no objects). Returns that target's TTL
 * (seconds, -1 = default) and where the message bytes start, or undefined.
 */
export function matchTarget(
  bytes: Uint8Array,
  key: Uint8Array,
  priority: number,
): { timeToLiveSecs: number; messageOffset: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes[0] ?? 0;
  let o = 1;
  let found: number | undefined;
  for (let i = 0; i < count; i++) {
    if (o + 2 > bytes.length) {
      throw new RoutedRecordError("routed record: truncated target key length");
    }
    const len = view.getUint16(o);
    if (o + 2 + len + 8 > bytes.length) {
      throw new RoutedRecordError("routed record: truncated target");
    }
    if (found === undefined && len === key.length && view.getUint32(o + 2 + len) === priority) {
      let same = true;
      for (let j = 0; j < len && same; j++) same = bytes[o + 2 + j] === key[j];
      if (same) found = view.getInt32(o + 2 + len + 4);
    }
    o += 2 + len + 8;
  }
  return found === undefined ? undefined : { timeToLiveSecs: found, messageOffset: o };
}

/** Encodes an endpoint key once for {@link matchTarget}. */
export function targetKey(endpointKey: string): Uint8Array {
  return encoder.encode(endpointKey);
}
