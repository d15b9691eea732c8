/** Tests for the incremental Docker log demultiplexer. */
import assert from "node:assert/strict";
import { frameLog, LogDemuxer } from "../../src/agent/log_stream.ts";

const enc = new TextEncoder(), dec = new TextDecoder();

Deno.test("demux across arbitrary chunk boundaries", () => {
  const stream = new Uint8Array([
    ...frameLog(1, enc.encode("hello ")),
    ...frameLog(2, enc.encode("oops\n")),
    ...frameLog(1, enc.encode("world\n")),
    ...frameLog(1, new Uint8Array(0)),
  ]);
  for (const size of [1, 3, 7, 8, 9, 64]) {
    const d = new LogDemuxer();
    const parts: string[] = [];
    const streams: string[] = [];
    for (let i = 0; i < stream.length; i += size) {
      for (const f of d.push(stream.subarray(i, i + size))) {
        parts.push(dec.decode(f.data));
        streams.push(f.stream);
      }
    }
    assert.equal(parts.join(""), "hello oops\nworld\n", `chunk ${size}`);
    assert.ok(streams.includes("stderr"));
  }
});

Deno.test("large frame length is read as unsigned", () => {
  const d = new LogDemuxer();
  const header = new Uint8Array([1, 0, 0, 0, 0x80, 0, 0, 1]);
  assert.deepEqual(d.push(header), []);
  const out = d.push(new Uint8Array([65, 66]));
  assert.equal(dec.decode(out[0].data), "AB");
});
