/** Tests for the `ledge list` table and humanized durations. */
import assert from "node:assert/strict";
import { formatModuleList, humanize } from "../../src/agent/module_list.ts";
import type { ModuleStatus } from "../../src/agent/status.ts";

const now = new Date("2026-01-01T12:00:00Z");
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const row = (over: Partial<ModuleStatus>): ModuleStatus => ({
  name: "m",
  status: "running",
  description: "",
  image: "img:1",
  exitCode: 0,
  restartCount: 0,
  containerId: "c",
  ...over,
});

Deno.test("humanize: precise to 20 s, rough after", () => {
  const cases: [number, string][] = [
    [0, "0 seconds"],
    [1, "1 second"],
    [5, "5 seconds"],
    [20, "20 seconds"],
    [60, "a minute"],
    [300, "5 minutes"],
    [3600, "an hour"],
    [3 * 3600, "3 hours"],
    [86400, "a day"],
    [3 * 86400, "3 days"],
    [8 * 86400, "a week"],
    [40 * 86400, "a month"],
    [400 * 86400, "a year"],
  ];
  for (const [s, want] of cases) assert.equal(humanize(s * 1000), want, `${s}s`);
});

Deno.test("formatModuleList: iotedge-style table", () => {
  const out = formatModuleList([
    row({
      name: "SimulatedTemperatureSensor",
      startedAt: ago(5),
      image: "mcr.microsoft.com/sensor:1.0",
    }),
    row({ name: "crashy", status: "failed", exitCode: 1, finishedAt: ago(120) }),
    row({ name: "backing", status: "backoff", exitCode: 2, finishedAt: ago(3) }),
    row({ name: "idle", status: "stopped", finishedAt: ago(7200) }),
    row({
      name: "denied",
      status: "failed",
      containerId: undefined,
      description: "pull denied: unauthorized",
    }),
    row({ name: "gone", status: "unknown" }),
  ], now);
  assert.equal(
    out,
    [
      "NAME                        STATUS         DESCRIPTION                        CONFIG",
      "SimulatedTemperatureSensor  running        Up 5 seconds                       mcr.microsoft.com/sensor:1.0",
      "backing                     backoff        Backoff (2) 3 seconds ago          img:1",
      "crashy                      failed         Failed (1) 2 minutes ago           img:1",
      "denied                      failed         Failed: pull denied: unauthorized  img:1",
      "gone                        unknown        Unknown                            img:1",
      "idle                        stopped        Stopped 2 hours ago                img:1",
      "",
    ].join("\n"),
  );
});
