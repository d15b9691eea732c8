/**
 * A memory-limited cgroup for tests, nested under this process's own cgroup: cgroup v2
 * (`memory.max`, `memory.swap.max`, `memory.events` oom_kill) when its memory controller is
 * available, otherwise the v1 memory hierarchy (`memory.limit_in_bytes`,
 * `memory.memsw.limit_in_bytes`, `memory.oom_control` oom_kill). A process joins it through
 * `wrap`, a shell prefix that writes its own pid into cgroup.procs and then execs the command
 * (so the pid stays the same).
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

export interface MemoryCgroup {
  version: 1 | 2;
  path: string;
  limitBytes: number;
  /** Command prefix that moves the command into the cgroup, then execs it. */
  wrap: string[];
  /** OOM kills inside the cgroup so far. */
  oomKills(): number;
  /** Highest memory charged to the cgroup (bytes), when the kernel reports it. */
  peakBytes(): number | null;
  /** True if `pid` is a member. */
  contains(pid: number): boolean;
  /** Removes the cgroup once its processes have exited (retries while the kernel is busy). */
  remove(): Promise<void>;
}

interface Mount {
  point: string;
  fstype: string;
  superOptions: string;
}

function mounts(): Mount[] {
  return readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n").map((line) => {
    const [pre, post] = line.split(" - ");
    const f = pre.split(" ");
    const g = post.split(" ");
    return { point: f[4], fstype: g[0], superOptions: g[2] ?? "" };
  });
}

/** This process's path in a hierarchy: `0::/x` for v2, `N:...memory...:/x` for v1 memory. */
function ownPath(v2: boolean): string | undefined {
  for (const line of readFileSync(`/proc/${process.pid}/cgroup`, "utf8").trim().split("\n")) {
    const [, controllers, path] = line.split(":");
    if (v2 && line.startsWith("0::")) return path;
    if (!v2 && controllers.split(",").includes("memory")) return path;
  }
  return undefined;
}

const read = (p: string) => readFileSync(p, "utf8");
const counter = (text: string, key: string) =>
  Number(new RegExp(`^${key} (\\d+)$`, "m").exec(text)?.[1] ?? 0);

async function removeWhenEmpty(path: string): Promise<void> {
  for (let i = 0;; i++) {
    try {
      return rmdirSync(path);
    } catch (e) {
      if ((e as { code?: string }).code !== "EBUSY" || i >= 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function joinWrap(procsFile: string): string[] {
  return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procsFile];
}

function tryV2(name: string, limit: number): MemoryCgroup | string {
  const mount = mounts().find((m) => m.fstype === "cgroup2");
  if (!mount) return "no cgroup2 mount";
  const own = ownPath(true);
  if (own === undefined) return "not in a cgroup2 hierarchy";
  const parent = join(mount.point, own);
  if (!read(join(parent, "cgroup.controllers")).split(/\s+/).includes("memory")) {
    return `cgroup2 at ${parent} has no memory controller`;
  }
  if (!read(join(parent, "cgroup.subtree_control")).split(/\s+/).includes("memory")) {
    try {
      writeFileSync(join(parent, "cgroup.subtree_control"), "+memory");
    } catch (e) {
      return `cannot enable memory for children of ${parent}: ${(e as Error).message}`;
    }
  }
  const path = join(parent, name);
  mkdirSync(path);
  writeFileSync(join(path, "memory.max"), String(limit));
  if (existsSync(join(path, "memory.swap.max"))) writeFileSync(join(path, "memory.swap.max"), "0");
  return {
    version: 2,
    path,
    limitBytes: limit,
    wrap: joinWrap(join(path, "cgroup.procs")),
    oomKills: () => counter(read(join(path, "memory.events")), "oom_kill"),
    peakBytes: () =>
      existsSync(join(path, "memory.peak")) ? Number(read(join(path, "memory.peak"))) : null,
    contains: (pid) => read(join(path, "cgroup.procs")).split("\n").includes(String(pid)),
    remove: () => removeWhenEmpty(path),
  };
}

function tryV1(name: string, limit: number): MemoryCgroup | string {
  const mount = mounts().find((m) =>
    m.fstype === "cgroup" && m.superOptions.split(",").includes("memory")
  );
  if (!mount) return "no cgroup v1 memory hierarchy";
  const own = ownPath(false);
  if (own === undefined) return "not in a v1 memory cgroup";
  const path = join(mount.point, own, name);
  mkdirSync(path);
  writeFileSync(join(path, "memory.limit_in_bytes"), String(limit));
  const memsw = join(path, "memory.memsw.limit_in_bytes");
  if (existsSync(memsw)) writeFileSync(memsw, String(limit)); // memory + swap = memory: no swap
  return {
    version: 1,
    path,
    limitBytes: limit,
    wrap: joinWrap(join(path, "cgroup.procs")),
    oomKills: () => counter(read(join(path, "memory.oom_control")), "oom_kill"),
    peakBytes: () => Number(read(join(path, "memory.max_usage_in_bytes"))),
    contains: (pid) => read(join(path, "cgroup.procs")).split("\n").includes(String(pid)),
    remove: () => removeWhenEmpty(path),
  };
}

/**
 * Creates `name` with a memory limit of `limitBytes` and no swap; returns why not as a
 * string when neither cgroup v2 nor v1 memory control is writable here.
 */
export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup | string {
  const reasons: string[] = [];
  for (const attempt of [tryV2, tryV1]) {
    try {
      const r = attempt(name, limitBytes);
      if (typeof r !== "string") return r;
      reasons.push(r);
    } catch (e) {
      reasons.push((e as Error).message);
    }
  }
  return reasons.join("; ");
}
