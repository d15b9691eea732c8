/**
 * The `ledge list` table in the style of `iotedge list` (management-and-cli.md §2.1): columns
 * NAME, STATUS, DESCRIPTION, CONFIG, tab-separated cells expanded to aligned spaces with a
 * minimum column width of 15, and iotedge's humanized descriptions ("Up 5 seconds",
 * "Failed (1) 2 minutes ago"). Pure: the current time is an argument.
 */
import type { ModuleStatus } from "./status.ts";

const MIN_WIDTH = 15;
const PAD = 2;

/** Format rows (any order; sorted by name here) as the list table, ending with a newline. */
export function formatModuleList(rows: ModuleStatus[], now: Date): string {
  const sorted = [...rows].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const table = [
    ["NAME", "STATUS", "DESCRIPTION", "CONFIG"],
    ...sorted.map((r) => [r.name, r.status, listDescription(r, now), r.image]),
  ];
  const widths = [0, 1, 2].map((i) =>
    Math.max(MIN_WIDTH, ...table.map((row) => row[i].length + PAD))
  );
  return table.map((row) =>
    row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join("").trimEnd()
  ).join("\n") + "\n";
}

/** The DESCRIPTION cell for one module. */
export function listDescription(r: ModuleStatus, now: Date): string {
  const since = (d?: Date) => (d ? humanize(now.getTime() - d.getTime()) : undefined);
  switch (r.status) {
    case "running": {
      const up = since(r.startedAt);
      return up ? `Up ${up}` : "Up";
    }
    case "unhealthy": {
      const up = since(r.startedAt);
      return up ? `Unhealthy, up ${up}` : "Unhealthy";
    }
    case "stopped":
    case "dead": {
      const ago = since(r.finishedAt);
      return ago ? `Stopped ${ago} ago` : "Stopped";
    }
    case "failed":
    case "backoff": {
      const label = r.status === "failed" ? "Failed" : "Backoff";
      if (!r.containerId) return `${label}: ${r.description}`;
      const ago = since(r.finishedAt);
      return ago ? `${label} (${r.exitCode}) ${ago} ago` : label;
    }
    case "downloading":
      return r.description;
    default:
      return "Unknown";
  }
}

/**
 * chrono-humanize style duration: precise up to 20 s, rough after.
 * @example humanize(5_000) // "5 seconds"; humanize(3_600_000) // "an hour"
 */
export function humanize(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s <= 20) return s === 1 ? "1 second" : `${s} seconds`;
  if (s < 45) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (s < 90) return "a minute";
  if (m < 45) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (m < 90) return "an hour";
  if (h < 22) return `${h} hours`;
  const d = Math.round(s / 86400);
  if (h < 36) return "a day";
  if (d < 7) return `${d} days`;
  const w = Math.round(d / 7);
  if (d < 11) return "a week";
  if (d < 31) return `${w} weeks`;
  const mo = Math.round(d / 30.44);
  if (d < 46) return "a month";
  if (d < 320) return `${mo} months`;
  const y = Math.round(d / 365.25);
  return y <= 1 ? "a year" : `${y} years`;
}
