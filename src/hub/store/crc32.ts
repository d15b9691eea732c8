/**
 * CRC-32 (IEEE, the zlib/PNG polynomial) over byte ranges, used to frame log records.
 * Uses `node:zlib`'s native `crc32` where the runtime has it (Node >= 20.15, Deno) and falls
 * back to a table-driven implementation with identical results (Node 20.11).
 *
 * @module
 */
import * as zlib from "node:zlib";

type Crc32Fn = (data: Uint8Array, value?: number) => number;

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Table-driven CRC-32; `value` continues a previous CRC. Exported for tests. */
export function crc32Table(data: Uint8Array, value = 0): number {
  let c = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// zlib.crc32 is missing from older Node typings; look it up dynamically.
const native = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

/** CRC-32 of `data`, continuing from `value` (default 0 = fresh). Returns an unsigned 32-bit int. */
export const crc32: Crc32Fn = typeof native === "function"
  ? (data, value = 0) => native(data, value) >>> 0
  : crc32Table;
