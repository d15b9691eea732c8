/**
 * The one exponential back-off used by the agent (IoT Edge's cool-off, edge-agent.md §4.3):
 * `coolOff(n) = min(unit × 2^n, max)`. Module restarts, retries of failing plan steps and
 * reconnects to an unreachable engine all use it, so it is written once and table-tested.
 */

/** Back-off settings; tests inject small values so they run quickly. */
export interface BackoffSettings {
  /** CoolOffTimeUnitInSeconds in ms (default 10 s). */
  unitMs: number;
  /** Cap of one cool-off (default 300 s). */
  maxMs: number;
  /** MaxRestartCount: after this many restarts/failures the module is `failed` (default 20). */
  maxCount: number;
  /** IntensiveCareTime: healthy run time after which restart stats are cleared (default 10 min). */
  intensiveCareMs: number;
}

/** IoT Edge defaults (edge-agent.md §1). */
export const DEFAULT_BACKOFF: BackoffSettings = {
  unitMs: 10_000,
  maxMs: 300_000,
  maxCount: 20,
  intensiveCareMs: 10 * 60_000,
};

/**
 * Cool-off before attempt number `n + 1` after `n` earlier attempts.
 * @example coolOffMs(2, DEFAULT_BACKOFF) // 40_000
 */
export function coolOffMs(n: number, s: Pick<BackoffSettings, "unitMs" | "maxMs">): number {
  if (n < 0) return 0;
  // 2^n overflows to Infinity for large n, which min() turns into the cap.
  return Math.min(s.unitMs * 2 ** n, s.maxMs);
}

/** True when `now` is past `since + coolOff(n)` (or `since` is in the future, as IoT Edge does). */
export function coolOffElapsed(
  n: number,
  since: number | undefined,
  now: number,
  s: Pick<BackoffSettings, "unitMs" | "maxMs">,
): boolean {
  if (since === undefined) return true;
  if (since > now) return true;
  return now - since > coolOffMs(n, s);
}
