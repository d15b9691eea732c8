/**
 * The routed load scenarios shared by bench/memory.ts and test/memory/constrained_test.ts:
 * the route that carries module telemetry to a consumer module's input, the identities for
 * publishers/consumer/idle clients, and running bench/memory_loadgen.ts as a child process
 * with callbacks on its progress marks.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { DENO, ROOT } from "../test/helpers/ledge.ts";
import type { BenchLedge, ClientSpec } from "./memory_ledge.ts";
import type { LoadOutcome, LoadSpec } from "./memory_loadgen.ts";

/** Every module's telemetry to the `cons` module's input `in1`. */
export const ROUTE_TO_CONSUMER =
  'FROM /messages/modules/* INTO BrokeredEndpoint("/modules/cons/inputs/in1")';
/** Every module's telemetry to a module that never connects: a backlog on disk. */
export const ROUTE_TO_OFFLINE =
  'FROM /messages/modules/* INTO BrokeredEndpoint("/modules/offline/inputs/in1")';

export interface RoutedClients {
  publishers: Array<ClientSpec & { topic: string }>;
  consumer: ClientSpec & { filter: string };
  idle: ClientSpec[];
}

/** Creates publisher modules pub0.., the consumer `cons`, and idle modules idle0... */
export async function routedClients(
  ledge: BenchLedge,
  o: { publishers: number; idle: number },
): Promise<RoutedClients> {
  const publishers = [];
  for (let i = 0; i < o.publishers; i++) {
    const c = await ledge.addModule(`pub${i}`);
    publishers.push({ ...c, topic: `devices/edge1/modules/pub${i}/messages/events/%24.on=out1` });
  }
  const cons = await ledge.addModule("cons");
  const idle = [];
  for (let i = 0; i < o.idle; i++) idle.push(await ledge.addModule(`idle${i}`));
  return {
    publishers,
    consumer: { ...cons, filter: "devices/edge1/modules/cons/inputs/#" },
    idle,
  };
}

export type LoadResult = LoadOutcome | { fatal: string; errors: string[] };

/** Runs the load generator; `onLine` sees `MARK idle`, `MARK load` and `TICK` lines. */
export function runLoad(spec: LoadSpec, onLine: (line: string) => void = () => {}): Promise<
  LoadResult
> {
  return new Promise((ok) => {
    const child = spawn(
      DENO,
      ["run", "-A", "--quiet", join(ROOT, "bench/memory_loadgen.ts"), JSON.stringify(spec)],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "", err = "", result: LoadResult | undefined;
    child.stdout.on("data", (d) => {
      out += d;
      const lines = out.split("\n");
      out = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith("RESULT ")) result = JSON.parse(line.slice(7));
        else onLine(line);
      }
    });
    child.stderr.on("data", (d) => err.length < 4096 && (err += d));
    child.on("close", (code) => {
      ok(result ?? { fatal: `load generator exited ${code}: ${err}`, errors: [] });
    });
  });
}

/** Defaults for a paced routed run; override what differs. */
export function loadSpec(port: number, clients: Partial<RoutedClients>, o: Partial<LoadSpec>) {
  return {
    port,
    idle: clients.idle ?? [],
    idleHoldMs: 0,
    publishers: clients.publishers ?? [],
    ...(clients.consumer ? { consumer: clients.consumer } : {}),
    rate: 2000,
    window: 200,
    payloadBytes: 256,
    durationMs: 10_000,
    targetBytes: 0,
    drainMs: 15_000,
    ...o,
  } satisfies LoadSpec;
}
