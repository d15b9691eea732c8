/**
 * Reading a process's memory from /proc for the memory benchmark and the constrained test:
 * VmRSS/VmHWM and their anonymous/file split from /proc/PID/status, a per-mapping breakdown
 * from /proc/PID/smaps (where the megabytes are: the deno binary's pages, V8 heap, malloc
 * arenas, thread stacks), and V8 heap sizes parsed from `--trace-gc` lines.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** Sizes in MiB (fractional) from /proc/PID/status. */
export interface ProcMemory {
  rss: number;
  hwm: number;
  anon: number;
  file: number;
  shmem: number;
}

const MIB = 1024;

/** VmRSS, VmHWM, RssAnon, RssFile, RssShmem of `pid` in MiB; null if the process is gone. */
export function procMemory(pid: number): ProcMemory | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) / MIB : 0;
  };
  return {
    rss: kb("VmRSS"),
    hwm: kb("VmHWM"),
    anon: kb("RssAnon"),
    file: kb("RssFile"),
    shmem: kb("RssShmem"),
  };
}

/** Resident MiB of `pid` grouped by what the mapping is. */
export type SmapsBreakdown = Record<string, number>;

/**
 * Groups /proc/PID/smaps by mapping: the executable's own pages (`deno binary`), other files
 * by base name, `[heap]` (the brk malloc heap), `[stack]`, and anonymous mappings (V8's heap
 * pages, mmap'd malloc arenas, thread stacks).
 */
export function smapsBreakdown(pid: number): SmapsBreakdown {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, "utf8");
  } catch {
    return {};
  }
  const out: SmapsBreakdown = {};
  let name = "";
  for (const line of text.split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1].trim();
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const kb = Number(rss[1]);
    if (kb === 0) continue;
    let key: string;
    if (name === "") key = "anonymous (V8 heap, malloc arenas, stacks)";
    else if (name.startsWith("[")) key = name;
    else if (/\/deno$|\/ledge[^/]*$/.test(name)) key = "executable (deno/ledge binary)";
    else key = `file ${name.slice(name.lastIndexOf("/") + 1)}`;
    out[key] = (out[key] ?? 0) + kb / MIB;
  }
  const rounded: SmapsBreakdown = {};
  for (const [k, v] of Object.entries(out).sort((a, b) => b[1] - a[1])) {
    if (v >= 0.1) rounded[k] = round1(v);
  }
  return rounded;
}

/** V8 heap after a GC: used and committed MiB (from one `--trace-gc` line), or null. */
export function parseTraceGc(line: string): { used: number; committed: number } | null {
  const m = /->\s*([\d.]+)\s*\(([\d.]+)\)\s*MB/.exec(line);
  return m ? { used: Number(m[1]), committed: Number(m[2]) } : null;
}

/** Rounds to one decimal. */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
