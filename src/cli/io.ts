/**
 * How CLI commands talk to the terminal, injectable so tests can capture output, plus the
 * shared option parsing every command uses (`--config FILE`).
 *
 * @module
 */
import process from "node:process";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadConfig, type LoadedConfig } from "../config/mod.ts";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Io = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : t + "\n"),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : t + "\n"),
};

/** A usage error: the command line is wrong (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses argv with `--config` added; unknown options are usage errors. */
export function parse<O extends Options>(argv: string[], options: O, positionals = true) {
  try {
    return parseArgs({
      args: argv,
      options: { config: { type: "string", short: "c" }, ...options },
      allowPositionals: positionals,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The config named by `--config`, `$LEDGE_CONFIG`, or the embedded default. */
export function configFrom(values: { config?: unknown }): LoadedConfig {
  return loadConfig(typeof values.config === "string" ? values.config : undefined);
}
