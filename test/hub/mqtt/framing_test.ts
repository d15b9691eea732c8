/**
 * Unit vectors for the MQTT stream framer: remaining-length varints [MQTT-2.2.3] (including
 * the malformed 5-byte form), packets split across chunks at every byte, several packets per
 * chunk, and the size limit enforced from the fixed header alone.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import mqtt from "mqtt-packet";
import { FramingError, PacketFramer, readRemainingLength } from "../../../src/hub/mqtt/framing.ts";

const rlVectors: Array<{ bytes: number[]; want: { length: number; bytes: number } | undefined }> = [
  { bytes: [0x00], want: { length: 0, bytes: 1 } },
  { bytes: [0x7f], want: { length: 127, bytes: 1 } },
  { bytes: [0x80, 0x01], want: { length: 128, bytes: 2 } },
  { bytes: [0xff, 0x7f], want: { length: 16_383, bytes: 2 } },
  { bytes: [0x80, 0x80, 0x01], want: { length: 16_384, bytes: 3 } },
  { bytes: [0xff, 0xff, 0x7f], want: { length: 2_097_151, bytes: 3 } },
  { bytes: [0x80, 0x80, 0x80, 0x01], want: { length: 2_097_152, bytes: 4 } },
  { bytes: [0xff, 0xff, 0xff, 0x7f], want: { length: 268_435_455, bytes: 4 } },
  // Trailing bytes after the varint are not part of it.
  { bytes: [0x05, 0xff, 0xff], want: { length: 5, bytes: 1 } },
  // Incomplete: a continuation bit with nothing after it.
  { bytes: [], want: undefined },
  { bytes: [0x80], want: undefined },
  { bytes: [0xff, 0xff], want: undefined },
  { bytes: [0xff, 0xff, 0xff], want: undefined },
];

Deno.test("readRemainingLength: vectors", () => {
  for (const { bytes, want } of rlVectors) {
    assert.deepEqual(readRemainingLength(Uint8Array.from(bytes), 0), want, `bytes ${bytes}`);
    // Same vector behind a fixed-header byte, read at offset 1.
    assert.deepEqual(readRemainingLength(Uint8Array.from([0x30, ...bytes]), 1), want);
  }
});

Deno.test("readRemainingLength: a fifth length byte is malformed", () => {
  for (
    const bytes of [[0xff, 0xff, 0xff, 0xff, 0x7f], [0x80, 0x80, 0x80, 0x80, 0x01], [
      0x80,
      0x80,
      0x80,
      0x80,
    ]]
  ) {
    assert.throws(
      () => readRemainingLength(Uint8Array.from(bytes), 0),
      (e) => e instanceof FramingError && /more than 4 bytes/.test(e.message),
      `bytes ${bytes}`,
    );
  }
});

function publish(topic: string, size: number, messageId = 1): Buffer {
  return mqtt.generate({
    cmd: "publish",
    topic,
    payload: Buffer.alloc(size, 0x61),
    qos: 1,
    messageId,
    retain: false,
    dup: false,
  } as mqtt.IPublishPacket);
}

const PINGREQ = Buffer.from([0xc0, 0x00]);

Deno.test("PacketFramer: whole packets pass through one by one and several per chunk", () => {
  const a = publish("devices/d/messages/events/", 10, 1);
  const b = publish("devices/d/messages/events/", 200, 2); // 2-byte remaining length
  const framer = new PacketFramer(1 << 20);
  assert.deepEqual(framer.push(a), [a]);
  assert.deepEqual(framer.push(Buffer.concat([b, PINGREQ, a])), [b, PINGREQ, a]);
  assert.equal(framer.buffered, 0);
});

Deno.test("PacketFramer: a packet split at every byte boundary comes out whole once", () => {
  const p = publish("devices/d/messages/events/", 300);
  const stream = Buffer.concat([PINGREQ, p, PINGREQ]);
  for (let cut = 1; cut < stream.length; cut++) {
    const framer = new PacketFramer(1 << 20);
    const out = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
    assert.deepEqual(out, [PINGREQ, p, PINGREQ], `cut at ${cut}`);
    assert.equal(framer.buffered, 0);
  }
});

Deno.test("PacketFramer: byte-at-a-time feeding, including inside the remaining length", () => {
  const p = publish("devices/d/messages/events/", 20_000); // 3-byte remaining length
  const framer = new PacketFramer(1 << 20);
  const out: Buffer[] = [];
  for (let i = 0; i < p.length; i++) {
    out.push(...framer.push(p.subarray(i, i + 1)));
    if (i < p.length - 1) assert.equal(out.length, 0);
  }
  assert.deepEqual(out, [p]);
});

Deno.test("PacketFramer: holds an incomplete packet and reports it as buffered", () => {
  const p = publish("devices/d/messages/events/", 100);
  const framer = new PacketFramer(1 << 20);
  assert.deepEqual(framer.push(p.subarray(0, 50)), []);
  assert.equal(framer.buffered, 50);
  assert.deepEqual(framer.push(Uint8Array.of()), []);
  assert.deepEqual(framer.push(p.subarray(50)), [p]);
  assert.equal(framer.buffered, 0);
});

Deno.test("PacketFramer: size limit", () => {
  const p = publish("devices/d/messages/events/", 1000);
  // Exactly at the limit passes.
  assert.deepEqual(new PacketFramer(p.length).push(p), [p]);
  // One byte over is refused from the header alone, before the body arrives.
  const framer = new PacketFramer(p.length - 1);
  assert.throws(
    () => framer.push(p.subarray(0, 4)),
    (e) => e instanceof FramingError && e.message.includes(`${p.length} bytes exceeds the limit`),
  );
  // A header that announces 256 MB is refused without buffering anything like it.
  const huge = Uint8Array.from([0x32, 0xff, 0xff, 0xff, 0x7f]);
  assert.throws(() => new PacketFramer(300_000).push(huge), FramingError);
});

Deno.test("PacketFramer: malformed 5-byte remaining length throws FramingError", () => {
  const framer = new PacketFramer(1 << 20);
  assert.throws(
    () => framer.push(Uint8Array.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])),
    FramingError,
  );
  // Even when the bytes trickle in.
  const f2 = new PacketFramer(1 << 20);
  assert.deepEqual(f2.push(Uint8Array.from([0x30, 0x80, 0x80])), []);
  assert.throws(() => f2.push(Uint8Array.from([0x80, 0x80])), FramingError);
});

Deno.test("PacketFramer: a 256 KiB packet trickled one byte at a time costs linear work", () => {
  // Regression guard: re-joining the whole pending buffer per chunk made this quadratic
  // (~34 GB of copying for one packet), a cheap way for one client to stall the hub.
  const p = publish("devices/d/messages/events/", 256 * 1024);
  const framer = new PacketFramer(1 << 20);
  const started = performance.now();
  const out: Buffer[] = [];
  for (let i = 0; i < p.length; i++) out.push(...framer.push(p.subarray(i, i + 1)));
  const ms = performance.now() - started;
  assert.deepEqual(out, [p]);
  assert.ok(ms < 5_000, `took ${ms.toFixed(0)} ms`);
});
