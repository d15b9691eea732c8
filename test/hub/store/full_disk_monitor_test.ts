/**
 * Tests of the disk-full state machine with a fake clock and a scripted probe: probing on the
 * timer and on a late append, retrying while still full, recovering and releasing waiters.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FullDiskMonitor } from "../../../src/hub/store/full_disk_monitor.ts";
import { FakeClock, MemoryLogger, sleep } from "./_helpers.ts";

const enospc = () => Object.assign(new Error("no space"), { code: "ENOSPC" });

Deno.test("FullDiskMonitor: probes on its timer and on late appends until space returns", async () => {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  let space = false, probes = 0, recovered = 0;
  const m = new FullDiskMonitor(clock, logger, 1000, () => {
    probes++;
    return space ? Promise.resolve() : Promise.reject(enospc());
  }, () => recovered++);
  assert.equal(m.isFull, false);
  await m.whenWritable(); // not full: immediate
  m.enter();
  m.enter(); // idempotent
  assert.equal(m.isFull, true);
  let writable = false;
  const w = m.whenWritable().then(() => (writable = true));
  m.poke(); // an append right away: too early to probe
  assert.equal(probes, 0);
  clock.advance(1000); // timer probe: still full
  await sleep(1);
  assert.equal(probes, 1);
  clock.advance(500);
  m.poke(); // 500 ms after the last probe: not yet
  assert.equal(probes, 1);
  space = true;
  clock.advance(400);
  m.poke(); // 900 ms: not yet
  assert.equal(probes, 1);
  clock.advance(100); // the rescheduled timer fires at 1000 ms after the failed probe
  await sleep(1);
  assert.equal(probes, 2);
  await w;
  assert.equal(writable, true);
  assert.equal(m.isFull, false);
  assert.equal(recovered, 1);
  assert.ok(logger.has(/store is full/) && logger.has(/disk space available again/));
  m.stop();
});

Deno.test("FullDiskMonitor: a late append triggers a probe; stop releases waiters", async () => {
  const clock = new FakeClock();
  let probes = 0;
  const m = new FullDiskMonitor(clock, new MemoryLogger(), 1000, () => {
    probes++;
    return Promise.reject(enospc());
  }, () => {});
  m.enter();
  clock.t += 5000; // time passes without timers firing (e.g. a stalled event loop)
  m.poke();
  assert.equal(probes, 1);
  const w = m.whenWritable();
  m.stop();
  await w; // closing the log must not leave waiters hanging
});
