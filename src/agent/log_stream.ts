/**
 * Demultiplexing of Docker's log stream format (management-and-cli.md §1.4): frames of an
 * 8-byte header [stream (1 stdout, 2 stderr), 0, 0, 0, big-endian uint32 length] followed by
 * the payload. `LogDemuxer` is a pure incremental parser: feed it chunks as they arrive, get
 * payloads out. It buffers at most one partial frame header plus the unread part of a frame's
 * payload that arrived in the current chunk, so memory stays bounded by the chunk size.
 */

/** One demultiplexed piece of log output. */
export interface LogFrame {
  stream: "stdout" | "stderr" | "stdin";
  data: Uint8Array;
}

/** Incremental parser for the multiplexed log stream. */
export class LogDemuxer {
  #header = new Uint8Array(8);
  #headerLen = 0;
  #remaining = 0;
  #stream: LogFrame["stream"] = "stdout";

  /** Parse a chunk; returns the payload pieces it completes or continues. */
  push(chunk: Uint8Array): LogFrame[] {
    const out: LogFrame[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, chunk.length - i);
        out.push({ stream: this.#stream, data: chunk.subarray(i, i + n) });
        this.#remaining -= n;
        i += n;
        continue;
      }
      const n = Math.min(8 - this.#headerLen, chunk.length - i);
      this.#header.set(chunk.subarray(i, i + n), this.#headerLen);
      this.#headerLen += n;
      i += n;
      if (this.#headerLen === 8) {
        const h = this.#header;
        this.#stream = h[0] === 2 ? "stderr" : h[0] === 0 ? "stdin" : "stdout";
        this.#remaining = ((h[4] << 24) >>> 0) + (h[5] << 16) + (h[6] << 8) + h[7];
        this.#headerLen = 0;
      }
    }
    return out;
  }
}

/** Frame a payload the way Docker does (used by tests and by API layers that re-multiplex). */
export function frameLog(stream: 1 | 2, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, payload.length);
  out.set(payload, 8);
  return out;
}
