/**
 * The one place that knows which JavaScript runtime ledge runs on. Everything else is written
 * against `node:` built-ins and web standards, so the same code runs on Deno (home, `deno
 * compile`) and on Node >= 20.11 (the ARMv7 single-executable build).
 *
 * @module
 */
import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";

interface DenoLike {
  version: { deno: string };
  build: { target: string };
}

const deno = (globalThis as { Deno?: DenoLike }).Deno;

/** `deno 2.9.6 (x86_64-unknown-linux-gnu)` or `node v20.11.0 (linux-arm)`. */
export function runtimeDescription(): string {
  if (deno) return `deno ${deno.version.deno} (${deno.build.target})`;
  return `node ${process.version} (${process.platform}-${process.arch})`;
}

/** Command-line arguments after the program (and script) name, on either runtime. */
export function commandArgs(): string[] {
  return process.argv.slice(2);
}

/** Resident set size and V8 heap in bytes. */
export function memory(): { rss: number; heapUsed: number; heapTotal: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal };
}

/** Runs `fn` on SIGINT/SIGTERM (once). */
export function onShutdownSignal(fn: (signal: string) => void): void {
  let fired = false;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (fired) return;
      fired = true;
      fn(sig);
    });
  }
}

/**
 * One full, compacting garbage collection after startup, so what startup left behind (config
 * parsing, migrations, PKI, module evaluation: ~4 MB of V8 heap pages) goes back to the OS
 * now; V8's memory reducer would get to it only after ~30-45 s of quiet. The global `gc` is
 * not exposed by default; a V8 flag set at run time makes it available to new contexts, on
 * Deno and Node alike. Does nothing where that is not possible.
 */
export function collectStartupGarbage(): void {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    gc();
  } catch {
    // not essential: the memory reducer does the same later
  }
}
