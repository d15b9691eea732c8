/**
 * Compact binary encoding of a {@link HubMessage} for the segment log (no JSON):
 * ```
 * u8      format version (1)
 * varint  number of system properties, then each:
 *           u8 key code (index+1 into SYSTEM_KEYS; 0 = custom key: varint length + UTF-8)
 *           varint length + UTF-8 value
 * varint  number of application properties, then each: key and value as varint length + UTF-8
 * varint  body length, then the body bytes
 * ```
 * Well-known system keys cost one byte. Varints are unsigned LEB128, at most 5 bytes.
 *
 * @module
 */
import { type HubMessage, SystemKey } from "../message.ts";

/** Input bytes that are not a valid encoded message; the message names the field. */
export class MessageCodecError extends Error {
  override name = "MessageCodecError";
}

const VERSION = 1;
const SYSTEM_KEYS: readonly string[] = Object.values(SystemKey);
const SYSTEM_CODE = new Map(SYSTEM_KEYS.map((k, i) => [k, i + 1]));
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

let scratch = new Uint8Array(64 * 1024);

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Encodes a message; the result is a fresh array owned by the caller. */
export function encodeMessage(m: HubMessage): Uint8Array {
  const sys = Object.entries(m.systemProperties);
  const props = Object.entries(m.properties);
  let bound = 1 + 5 + 5 + 5 + m.body.length;
  for (const [k, v] of sys) bound += 1 + 10 + 3 * (k.length + v.length);
  for (const [k, v] of props) bound += 10 + 3 * (k.length + v.length);
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  const buf = scratch;
  let o = 0;
  const varint = (n: number) => {
    while (n >= 0x80) {
      buf[o++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[o++] = n;
  };
  const str = (s: string) => {
    // Reserve the length's bytes for the worst case, then move the text if it was shorter.
    const maxLen = 3 * s.length;
    const lenAt = o;
    const reserve = varintSize(maxLen);
    const { written } = utf8.encodeInto(s, buf.subarray(lenAt + reserve));
    const actual = varintSize(written);
    if (actual !== reserve) {
      buf.copyWithin(lenAt + actual, lenAt + reserve, lenAt + reserve + written);
    }
    varint(written);
    o = lenAt + actual + written;
  };
  buf[o++] = VERSION;
  varint(sys.length);
  for (const [k, v] of sys) {
    const code = SYSTEM_CODE.get(k);
    if (code !== undefined) buf[o++] = code;
    else {
      buf[o++] = 0;
      str(k);
    }
    str(v);
  }
  varint(props.length);
  for (const [k, v] of props) {
    str(k);
    str(v);
  }
  varint(m.body.length);
  buf.set(m.body, o);
  o += m.body.length;
  return buf.slice(0, o);
}

/** Decodes bytes from {@link encodeMessage}; throws {@link MessageCodecError} on bad input. */
export function decodeMessage(bytes: Uint8Array): HubMessage {
  let o = 0;
  const fail = (field: string, why: string): never => {
    throw new MessageCodecError(`message ${field}: ${why} (at byte ${o})`);
  };
  const varint = (field: string): number => {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (o >= bytes.length) fail(field, "truncated");
      const b = bytes[o++];
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
    }
    return fail(field, "varint too long");
  };
  const str = (field: string): string => {
    const len = varint(`${field} length`);
    if (o + len > bytes.length) fail(field, `truncated (needs ${len} bytes)`);
    let s = "";
    try {
      s = utf8Strict.decode(bytes.subarray(o, o + len));
    } catch {
      fail(field, "invalid UTF-8");
    }
    o += len;
    return s;
  };
  const put = (rec: Record<string, string>, k: string, v: string) => {
    if (k === "__proto__") {
      Object.defineProperty(rec, k, { value: v, enumerable: true, writable: true });
    } else rec[k] = v;
  };
  if (bytes.length === 0) fail("version", "empty input");
  const version = bytes[o++];
  if (version !== VERSION) fail("version", `unsupported format version ${version}`);
  const systemProperties: Record<string, string> = {};
  const nSys = varint("systemProperties count");
  for (let i = 0; i < nSys; i++) {
    if (o >= bytes.length) fail(`systemProperties[${i}].key`, "truncated");
    const code = bytes[o++];
    let key: string;
    if (code === 0) key = str(`systemProperties[${i}].key`);
    else if (code <= SYSTEM_KEYS.length) key = SYSTEM_KEYS[code - 1];
    else key = fail(`systemProperties[${i}].key`, `unknown key code ${code}`);
    put(systemProperties, key, str(`systemProperties[${key}]`));
  }
  const properties: Record<string, string> = {};
  const nProps = varint("properties count");
  for (let i = 0; i < nProps; i++) {
    const key = str(`properties[${i}].key`);
    put(properties, key, str(`properties[${key}]`));
  }
  const bodyLen = varint("body length");
  if (o + bodyLen !== bytes.length) {
    fail("body", `length ${bodyLen} does not match the ${bytes.length - o} bytes left`);
  }
  const body = bytes.slice(o, o + bodyLen);
  return { body, properties, systemProperties };
}
