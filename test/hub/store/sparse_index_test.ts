/**
 * Tests of the sparse seq → position index and the `.idx` file encoding.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  decodeIndexFile,
  encodeIndexFile,
  type SegmentInfo,
  SparseIndex,
} from "../../../src/hub/store/sparse_index.ts";

function sample(): SegmentInfo {
  const index = new SparseIndex();
  for (const [seq, pos] of [[100, 0], [140, 4096], [181, 8200], [230, 12300]]) index.add(seq, pos);
  return {
    baseSeq: 100,
    firstSeq: 100,
    lastSeq: 260,
    records: 161,
    lastTimestamp: 1_700_000_000_000,
    size: 16000,
    index,
  };
}

Deno.test("SparseIndex.lookup: last entry at or below the seq", () => {
  const ix = sample().index;
  const cases: Array<[number, number]> = [
    [1, 0],
    [100, 0],
    [139, 0],
    [140, 4096],
    [180, 4096],
    [
      181,
      8200,
    ],
    [229, 8200],
    [230, 12300],
    [9999, 12300],
  ];
  for (const [seq, want] of cases) assert.equal(ix.lookup(seq), want, `seq ${seq}`);
  assert.equal(new SparseIndex().lookup(5), 0);
});

Deno.test("SparseIndex.maybeAdd respects the interval; truncate drops entries", () => {
  const ix = new SparseIndex();
  ix.maybeAdd(1, 0, 100);
  ix.maybeAdd(2, 50, 100);
  ix.maybeAdd(3, 100, 100);
  ix.maybeAdd(4, 150, 100);
  assert.deepEqual(ix.seqs, [1, 3]);
  ix.truncate(100);
  assert.deepEqual(ix.seqs, [1]);
  ix.maybeAdd(5, 60, 50);
  assert.deepEqual(ix.positions, [0, 60]);
});

Deno.test("index file: round-trip and damage detection", () => {
  const s = sample();
  const bytes = encodeIndexFile(s);
  const back = decodeIndexFile(bytes, 100);
  assert.ok(typeof back !== "string");
  assert.deepEqual({ ...back, index: [...back.index.seqs] }, { ...s, index: [...s.index.seqs] });
  assert.deepEqual(back.index.positions, s.index.positions);
  const damaged: Array<[string, Uint8Array]> = [
    ["short", bytes.subarray(0, 10)],
    ["flip", bytes.map((b, i) => (i === 20 ? b ^ 1 : b))],
    ["magic", bytes.map((b, i) => (i === 0 ? b ^ 1 : b))],
    ["cut", bytes.subarray(0, bytes.length - 16)],
  ];
  for (const [name, b] of damaged) assert.equal(typeof decodeIndexFile(b, 100), "string", name);
});
