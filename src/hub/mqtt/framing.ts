/**
 * Splits an MQTT byte stream into whole packets before anything parses them, so the size
 * limit is enforced from the fixed header alone (an oversize packet is refused before its
 * body is buffered) and a client can never make the hub hold more than one packet's bytes.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** The stream cannot be MQTT, or a packet is larger than allowed. */
export class FramingError extends Error {
  override name = "FramingError";
}

/** Reads the remaining-length varint at `offset` [MQTT-2.2.3]: `{length, bytes}` or undefined if incomplete. */
export function readRemainingLength(
  buf: Uint8Array,
  offset: number,
): { length: number; bytes: number } | undefined {
  let multiplier = 1;
  let length = 0;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= buf.length) return undefined;
    const byte = buf[offset + i];
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { length, bytes: i + 1 };
    multiplier *= 128;
  }
  throw new FramingError("malformed remaining length (more than 4 bytes)");
}

/** Accumulates chunks and yields complete packets, each at most `maxPacketBytes`. */
export class PacketFramer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPacketBytes: number) {}

  /** Feeds a chunk; returns the complete packets it finished, in order. */
  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length === 0
      ? Buffer.from(chunk)
      : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 2) {
      const rl = readRemainingLength(this.pending, offset + 1);
      if (!rl) break;
      const total = 1 + rl.bytes + rl.length;
      if (total > this.maxPacketBytes) {
        throw new FramingError(
          `packet of ${total} bytes exceeds the limit of ${this.maxPacketBytes}`,
        );
      }
      if (this.pending.length - offset < total) break;
      out.push(this.pending.subarray(offset, offset + total));
      offset += total;
    }
    this.pending = offset === 0 ? this.pending : Buffer.from(this.pending.subarray(offset));
    return out;
  }

  /** Bytes held waiting for the rest of a packet. */
  get buffered(): number {
    return this.pending.length;
  }
}
