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

/**
 * Accumulates chunks and yields complete packets, each at most `maxPacketBytes`. Chunks are
 * kept as a list and joined once per packet, so a client trickling a large packet in tiny
 * pieces costs linear, not quadratic, copying. Chunks are kept by reference: the caller must
 * not reuse them (socket chunks are never reused).
 */
export class PacketFramer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Feeds a chunk; returns the complete packets it finished, in order. */
  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.size += chunk.length;
    }
    const out: Buffer[] = [];
    while (this.size >= 2) {
      // The fixed header is at most 5 bytes: 1 type byte and up to 4 length bytes.
      const rl = readRemainingLength(this.peek(5), 1);
      if (!rl) break;
      const total = 1 + rl.bytes + rl.length;
      if (total > this.maxPacketBytes) {
        throw new FramingError(
          `packet of ${total} bytes exceeds the limit of ${this.maxPacketBytes}`,
        );
      }
      if (this.size < total) break;
      out.push(this.take(total));
    }
    return out;
  }

  /** Up to `n` leading bytes, without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n || this.chunks.length === 1) return first;
    const head: Buffer[] = [];
    let got = 0;
    for (let i = 0; i < this.chunks.length && got < n; i++) {
      head.push(this.chunks[i]);
      got += this.chunks[i].length;
    }
    return Buffer.concat(head);
  }

  /** Removes and returns the first `n` bytes (n <= size) as one buffer. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    let packet: Buffer;
    if (first.length >= n) {
      packet = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const joined = Buffer.concat(this.chunks, this.size);
      packet = joined.subarray(0, n);
      this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    }
    this.size -= n;
    return packet;
  }

  /** Bytes held waiting for the rest of a packet. */
  get buffered(): number {
    return this.size;
  }
}
