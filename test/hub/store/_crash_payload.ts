/**
 * Shared by the crash test and its writer: the log options both use, and self-verifying
 * payloads (a seed, a length and bytes derived from the seed) so a reader can tell an intact
 * record from a damaged one without knowing what was written.
 *
 * @module
 */

/** Small segments and batches so a short run crosses many segment rolls. */
export const crashLogOptions = {
  segmentBytes: 256 * 1024,
  maxBatchBytes: 64 * 1024,
  maxRecordBytes: 4096,
};

/** Payload number `n`: 8-byte header (seed, length) then a pattern of 16..1040 bytes. */
export function makePayload(n: number): Uint8Array {
  const len = 16 + ((n * 2654435761) >>> 0) % 1025;
  const b = new Uint8Array(8 + len);
  const v = new DataView(b.buffer);
  v.setUint32(0, n >>> 0, true);
  v.setUint32(4, len, true);
  for (let i = 0; i < len; i++) b[8 + i] = (n + i * 13) & 0xff;
  return b;
}

/** Whether `b` is an intact payload from {@link makePayload}. */
export function checkPayload(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = v.getUint32(0, true);
  const len = v.getUint32(4, true);
  if (b.length !== 8 + len) return false;
  for (let i = 0; i < len; i++) if (b[8 + i] !== ((n + i * 13) & 0xff)) return false;
  return true;
}
