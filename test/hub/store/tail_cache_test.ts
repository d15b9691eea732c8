/**
 * Tests of the ring-buffer tail cache: wrap-around, eviction, copy-out, gaps.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ReadCollector } from "../../../src/hub/store/read_collector.ts";
import { frameRecord } from "../../../src/hub/store/record_format.ts";
import { TailCache } from "../../../src/hub/store/tail_cache.ts";
import { patterned } from "./_helpers.ts";

/** A framed batch of `n` records starting at `first`, payload sizes varying. */
function batch(first: number, n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let s = first; s < first + n; s++) {
    const p = patterned(s, 10 + (s % 30));
    const b = new Uint8Array(24 + p.length);
    frameRecord(b, new DataView(b.buffer), 0, s, 1000, p);
    parts.push(b);
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

const collector = (from: number, max = 1000, end = Infinity) =>
  new ReadCollector(from, max, 1 << 20, end, -Infinity, 1 << 20);

Deno.test("TailCache: serves recent records across ring wrap-arounds, evicts the oldest", () => {
  const cache = new TailCache(2000);
  let seq = 1;
  for (let round = 0; round < 50; round++) {
    const n = 1 + (round % 7);
    cache.add(batch(seq, n), seq, seq + n - 1);
    seq += n;
    assert.ok(cache.bytes <= 2000);
    const first = cache.firstSeq;
    assert.ok(first <= seq - n, "the newest batch is always held");
    const c = collector(first);
    cache.collect(c);
    assert.deepEqual(
      c.records.map((r) => r.seq),
      Array.from({ length: seq - first }, (_, i) => first + i),
    );
    for (const r of c.records) assert.deepEqual(r.payload, patterned(r.seq, 10 + (r.seq % 30)));
  }
  assert.equal(cache.collect(collector(1)), null, "evicted seqs go to disk");
});

Deno.test("TailCache: returned payloads are copies that later writes cannot change", () => {
  const cache = new TailCache(600);
  cache.add(batch(1, 5), 1, 5);
  const c = collector(1);
  cache.collect(c);
  const kept = c.records.map((r) => r.payload);
  for (let s = 6; s < 100; s += 5) cache.add(batch(s, 5), s, s + 4);
  kept.forEach((p, i) => assert.deepEqual(p, patterned(i + 1, 10 + ((i + 1) % 30))));
});

Deno.test("TailCache: limits and gaps", () => {
  const cache = new TailCache(1000);
  cache.add(batch(1, 3), 1, 3);
  cache.add(batch(10, 3), 10, 12); // a gap (rejected batch) is fine
  const c = collector(2, 3);
  cache.collect(c);
  assert.deepEqual(c.records.map((r) => r.seq), [2, 3, 10]);
  const e = collector(1, 100, 2); // visibility limit
  cache.collect(e);
  assert.deepEqual(e.records.map((r) => r.seq), [1, 2]);
  cache.add(batch(5, 1), 5, 5); // going backwards clears
  assert.equal(cache.firstSeq, 5);
  cache.add(new Uint8Array(5000), 6, 6); // bigger than the cache clears it
  assert.equal(cache.firstSeq, Infinity);
});
