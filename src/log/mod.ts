/**
 * A small structured logger: one line per event on stderr, `LEVEL component: message k=v`.
 * Components get child loggers so a line says where it came from.
 *
 * @module
 */
import process from "node:process";

export type LogLevel = "error" | "warn" | "info" | "debug";
const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

function fmt(fields?: Record<string, unknown>): string {
  if (!fields) return "";
  return Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) =>
    ` ${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`
  ).join("");
}

/** A logger writing lines at or above `level` to `write` (stderr by default). */
export function createLogger(
  level: LogLevel = "info",
  component = "ledge",
  write: (line: string) => void = (l) => process.stderr.write(l + "\n"),
): Logger {
  const at = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (rank[lvl] > rank[level]) return;
    write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${component}: ${msg}${fmt(fields)}`);
  };
  return {
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    child: (c) => createLogger(level, `${component}/${c}`, write),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child: () => silentLogger,
};
