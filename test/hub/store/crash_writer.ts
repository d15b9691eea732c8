/**
 * Child process for the crash test: appends self-verifying records to a SegmentLog as fast as
 * it can (a window of appends in flight) and prints the seq of every acknowledged (resolved)
 * append to stdout, one line per event-loop turn. The parent SIGKILLs it at a random moment.
 *
 * Usage: deno run -A crash_writer.ts <dir> <always|interval|never>
 *
 * @module
 */
import process from "node:process";
import { type FsyncPolicy, SegmentLog } from "../../../src/hub/store/mod.ts";
import { crashLogOptions, makePayload } from "./_crash_payload.ts";

const [dir, policy] = process.argv.slice(2);
const log = await SegmentLog.open(dir, {
  ...crashLogOptions,
  fsync: policy as FsyncPolicy,
  logger: { info() {}, warn: (m) => console.error(m), error: (m) => console.error(m) },
});

let acked: number[] = [];
let flushScheduled = false;
const flushAcks = () => {
  flushScheduled = false;
  if (acked.length === 0) return;
  process.stdout.write(acked.join(" ") + "\n");
  acked = [];
};
const onAck = (seq: number) => {
  acked.push(seq);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushAcks);
  }
};

let n = Math.floor(Math.random() * 2 ** 31);
const WINDOW = 128;
let inFlight = 0;
const pump = () => {
  while (inFlight < WINDOW) {
    inFlight++;
    log.append(makePayload(n++)).then((seq) => {
      inFlight--;
      onAck(seq);
      pump();
    }, (e) => {
      console.error(`append failed: ${e}`);
      process.exit(3);
    });
  }
};
process.stdout.write("ready\n");
pump();
