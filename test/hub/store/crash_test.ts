/**
 * Crash test: a child process appends heavily and prints acknowledged seqs; we SIGKILL it at
 * random moments, many rounds over the same log, cycling the fsync policies. After every
 * kill, the log must hold every acknowledged record, in order, intact, with no corrupt record
 * returned. Every fifth round kills at a random moment from startup on (possibly during the
 * writer's own recovery). (SIGKILL keeps the page cache, so this holds for `never` too;
 * power loss is not simulated here.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type FsyncPolicy, SegmentLog } from "../../../src/hub/store/mod.ts";
import { checkPayload, crashLogOptions } from "./_crash_payload.ts";
import { MemoryLogger, sleep, tempDir } from "./_helpers.ts";

const WRITER = fileURLToPath(new URL("./crash_writer.ts", import.meta.url));
const ROUNDS = 20;
const DEADLINE_MS = 40_000; // hard stop on a loaded machine; ~15-30 s normally

/** Runs the writer until a random moment after it started acknowledging; returns acked seqs. */
async function runAndKill(dir: string, policy: FsyncPolicy, early: boolean): Promise<number[]> {
  const child = spawn(Deno.execPath(), ["run", "-A", WRITER, dir, policy], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: path.dirname(WRITER),
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  const start = Date.now();
  // An "early" round kills at a random moment from startup on, possibly during recovery.
  if (early) await sleep(50 + Math.random() * 600);
  while (!early && !/\n\d/.test(out)) { // wait for the first acks
    if (Date.now() - start > 15_000) {
      child.kill("SIGKILL");
      throw new Error(`writer produced no acks; stderr: ${err}`);
    }
    if (child.exitCode !== null) throw new Error(`writer exited ${child.exitCode}: ${err}`);
    await sleep(5);
  }
  if (!early) await sleep(5 + Math.random() * 200);
  child.kill("SIGKILL");
  await exited;
  assert.ok(!/append failed|Uncaught/.test(err), err);
  const complete = out.slice(0, out.lastIndexOf("\n")); // ignore a line cut by the kill
  const seqs: number[] = [];
  for (const line of complete.split("\n")) {
    if (line === "ready" || line === "") continue;
    for (const tok of line.split(" ")) seqs.push(Number(tok));
  }
  return seqs;
}

Deno.test("crash: SIGKILLed writer never loses an acknowledged record", async () => {
  const { dir, cleanup } = tempDir("ledge-crash-");
  const t0 = Date.now();
  const acked: number[] = []; // all rounds; acks of one round are increasing
  let rounds = 0, truncations = 0, maxSeqSeen = 0;
  try {
    const policies: FsyncPolicy[] = ["always", "interval", "never"];
    for (; rounds < ROUNDS && Date.now() - t0 < DEADLINE_MS; rounds++) {
      const policy = policies[rounds % 3];
      const early = rounds % 5 === 4;
      const got = await runAndKill(dir, policy, early);
      assert.ok(early || got.length > 0, `round ${rounds}: no acks`);
      for (const s of got) acked.push(s);
      const logger = new MemoryLogger();
      const log = await SegmentLog.open(dir, { ...crashLogOptions, logger });
      truncations += logger.lines.filter((l) => /truncating/.test(l)).length;
      acked.sort((a, b) => a - b);
      let i = 0, prev = 0, count = 0;
      for await (const r of log.records(1, { timeToLiveSecs: -1 })) {
        assert.ok(r.seq > prev, `round ${rounds}: seq ${r.seq} after ${prev}`);
        assert.ok(checkPayload(r.payload), `round ${rounds}: corrupt payload at seq ${r.seq}`);
        while (i < acked.length && acked[i] < r.seq) {
          assert.fail(`round ${rounds} (${policy}): acknowledged seq ${acked[i]} missing`);
        }
        if (i < acked.length && acked[i] === r.seq) i++;
        prev = r.seq;
        count++;
      }
      assert.equal(i, acked.length, `round ${rounds}: acked seqs after ${prev} missing`);
      assert.ok(prev >= maxSeqSeen, "log never shrinks below what was read before");
      maxSeqSeen = prev;
      assert.equal(log.stats().corrupt_skipped, 0);
      assert.equal(count, log.stats().last_seq - log.stats().first_seq + 1, "no gaps at all");
      await log.close();
    }
    console.log(
      `crash test: ${rounds} rounds, ${acked.length} acked records verified, ` +
        `${maxSeqSeen} records in log, ${truncations} torn tails truncated, ${Date.now() - t0} ms`,
    );
    if (rounds < ROUNDS) {
      console.warn(`crash test: deadline hit after ${rounds} rounds (slow machine)`);
    }
    assert.ok(rounds >= 10, `only ${rounds} rounds in ${DEADLINE_MS} ms`);
  } finally {
    cleanup();
  }
});
