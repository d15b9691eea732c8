/**
 * A minimal DER (ASN.1 Distinguished Encoding Rules) writer and reader, just large enough to build
 * and inspect X.509 certificates without an npm dependency. Writers return encoded TLVs as
 * `Uint8Array`; the reader splits a buffer into typed TLV nodes. Only definite-length, low-tag
 * forms are supported, which is all DER allows for the types used here.
 */

/** Universal and context tag bytes used by the certificate code. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, p) => sum + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Encodes one TLV with the given tag byte and content. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return concat([Uint8Array.of(tag), encodeLength(content.length), content]);
}

/** SEQUENCE of already-encoded elements. */
export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(Tag.SEQUENCE, concat(items));
}

/** SET of already-encoded elements (caller supplies DER order; single-element sets here). */
export function set(...items: Uint8Array[]): Uint8Array {
  return tlv(Tag.SET, concat(items));
}

/** INTEGER from unsigned big-endian magnitude bytes (adds a 0x00 pad when the top bit is set). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const body = trimmed.length === 0 || (trimmed[0] & 0x80) !== 0
    ? concat([Uint8Array.of(0), trimmed])
    : trimmed;
  return tlv(Tag.INTEGER, body);
}

/** INTEGER from a small non-negative JavaScript number. */
export function smallInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad integer ${value}`);
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return unsignedInteger(Uint8Array.from(bytes));
}

/** BOOLEAN (DER: true is 0xff). */
export function boolean(value: boolean): Uint8Array {
  return tlv(Tag.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

/** NULL. */
export function nullValue(): Uint8Array {
  return tlv(Tag.NULL, new Uint8Array(0));
}

/** OBJECT IDENTIFIER from dotted text, e.g. "2.5.4.3". */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((a) => {
    if (!/^\d+$/.test(a)) throw new SyntaxError(`bad OID "${dotted}"`);
    return Number(a);
  });
  if (arcs.length < 2 || arcs[0] > 2) throw new SyntaxError(`bad OID "${dotted}"`);
  const bytes: number[] = [];
  const pushArc = (arc: number) => {
    const group: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) {
      group.unshift(0x80 | (n & 0x7f));
    }
    bytes.push(...group);
  };
  pushArc(arcs[0] * 40 + arcs[1]);
  for (const arc of arcs.slice(2)) pushArc(arc);
  return tlv(Tag.OID, Uint8Array.from(bytes));
}

/** OCTET STRING. */
export function octetString(content: Uint8Array): Uint8Array {
  return tlv(Tag.OCTET_STRING, content);
}

/** BIT STRING with the given count of unused trailing bits. */
export function bitString(content: Uint8Array, unusedBits = 0): Uint8Array {
  return tlv(Tag.BIT_STRING, concat([Uint8Array.of(unusedBits), content]));
}

/**
 * BIT STRING for a named-bit list (e.g. keyUsage): bit 0 is the most significant bit of the first
 * byte; DER drops trailing zero bits.
 */
export function namedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return bitString(new Uint8Array(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)] |= 0x80 >> (b % 8);
  return bitString(bytes, 7 - (highest % 8));
}

/** UTF8String. */
export function utf8String(text: string): Uint8Array {
  return tlv(Tag.UTF8_STRING, new TextEncoder().encode(text));
}

/** Time per RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const year = date.getUTCFullYear();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z"; // YYYYMMDDHHMMSSZ
  if (year >= 1950 && year < 2050) {
    return tlv(Tag.UTC_TIME, new TextEncoder().encode(digits.slice(2)));
  }
  return tlv(Tag.GENERALIZED_TIME, new TextEncoder().encode(digits));
}

/** Context-specific tag number `n`, constructed (EXPLICIT wrapping of one element). */
export function explicit(n: number, inner: Uint8Array): Uint8Array {
  return tlv(0xa0 | n, inner);
}

/** Context-specific tag number `n`, primitive (IMPLICIT replacement of a primitive's tag). */
export function implicitPrimitive(n: number, content: Uint8Array): Uint8Array {
  return tlv(0x80 | n, content);
}

/** One decoded TLV: tag byte, content bytes and the whole encoding (header + content). */
export interface DerNode {
  tag: number;
  content: Uint8Array;
  encoded: Uint8Array;
}

/** Reads the TLV at `offset`; throws a SyntaxError naming the offset on truncated input. */
export function readNode(buf: Uint8Array, offset = 0): DerNode {
  if (offset + 2 > buf.length) throw new SyntaxError(`DER: truncated header at ${offset}`);
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new SyntaxError(`DER: high tag number at ${offset}`);
  let length = buf[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new SyntaxError(`DER: bad length form at ${offset}`);
    if (offset + 2 + count > buf.length) {
      throw new SyntaxError(`DER: truncated length at ${offset}`);
    }
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[offset + 2 + i];
    header += count;
  }
  const end = offset + header + length;
  if (end > buf.length) throw new SyntaxError(`DER: content overruns buffer at ${offset}`);
  return {
    tag,
    content: buf.subarray(offset + header, end),
    encoded: buf.subarray(offset, end),
  };
}

/** Splits the content of a constructed node into its child TLVs. */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let offset = 0; offset < node.content.length;) {
    const child = readNode(node.content, offset);
    out.push(child);
    offset += child.encoded.length;
  }
  return out;
}

/** Decodes OID content bytes to dotted text. */
export function decodeOid(content: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join(".");
}
