/**
 * `ledge route test "ROUTE" --message FILE`: compiles one route and evaluates it against a
 * message described in a JSON file, so route conditions can be tried without a running hub.
 * Prints `match`, `no match` or `error: <reason>` on the first line (then the endpoint or the
 * reason) and exits 0, 1 or 2 respectively.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import process from "node:process";
import { parseArgs } from "node:util";
import * as z from "zod";
import {
  type CompiledRoute,
  compileRoute,
  messageSource,
  MessageView,
  type RouteMessage,
} from "../hub/routing/mod.ts";

const USAGE = `usage: ledge route test "ROUTE" --message FILE

FILE is JSON: {"body": <string or any JSON value>, "properties": {...}, "systemProperties": {...}}
A string body is sent as UTF-8 text, any other JSON value as its UTF-8 JSON serialization.
$body queries also need systemProperties contentType "application/json" and contentEncoding
"utf-8". Exit code: 0 match, 1 no match, 2 error.`;

const propertyMap = z.record(z.string(), z.string().nullable(), {
  error: "must be an object of string values",
});

/** Shape of the `--message` file. */
export const messageFileSchema = z.strictObject({
  body: z.unknown().optional(),
  properties: propertyMap.default({}),
  systemProperties: propertyMap.default({}),
});

/**
 * Where the command writes and reads; injectable for tests. Structurally compatible with the
 * CLI's shared `Io` (`out`), with an optional file reader (defaults to node:fs).
 */
export interface RouteCommandIO {
  /** Writes text to standard output (the command includes newlines). */
  out(text: string): void;
  readFile?(path: string): Promise<string>;
}

const defaultIO: RouteCommandIO = { out: (text) => void process.stdout.write(text) };

/** Parses the message file text into a routable message; throws Error with a clear reason. */
export function parseMessageFile(text: string): RouteMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  const parsed = messageFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    throw new Error(`${where}: ${issue.message}`);
  }
  const { body, properties, systemProperties } = parsed.data;
  const bodyText = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  return { body: new TextEncoder().encode(bodyText), properties, systemProperties };
}

function explainNoMatch(route: CompiledRoute, view: MessageView): string {
  if (!route.sourceMatches(view)) {
    return `reason: message source ${
      messageSource(view)
    } is not under route source ${route.source}`;
  }
  const v = route.evaluate(view);
  const shown = v === undefined
    ? "undefined"
    : typeof v === "string"
    ? JSON.stringify(v)
    : String(v);
  return `reason: condition evaluated to ${shown}`;
}

/**
 * Runs `route test` with the arguments after `route test`; returns the exit code
 * (0 match, 1 no match, 2 error). Output goes to `io.out`.
 */
export async function routeTestCommand(
  argv: string[],
  io: RouteCommandIO = defaultIO,
): Promise<number> {
  const fail = (reason: string) => {
    io.out(`error: ${reason}\n`);
    return 2;
  };
  let values: { message?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { message: { type: "string", short: "m" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    return fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  // Tolerate being handed the subcommand name too (`test "ROUTE"`).
  if (positionals.length === 2 && positionals[0] === "test") positionals = positionals.slice(1);
  if (positionals.length !== 1) return fail(`expected exactly one ROUTE argument\n${USAGE}`);
  if (values.message === undefined) return fail(`--message FILE is required\n${USAGE}`);

  let route: CompiledRoute;
  try {
    route = compileRoute(positionals[0]);
  } catch (e) {
    return fail((e as Error).message);
  }
  let message: RouteMessage;
  try {
    message = parseMessageFile(await (io.readFile ?? ((p) => readFile(p, "utf8")))(values.message));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code !== undefined ? `cannot read: ${err.message}` : err.message;
    return fail(`message file ${values.message}: ${reason}`);
  }
  const view = new MessageView(message);
  if (route.matches(view)) {
    io.out(`match\nendpoint: ${route.endpointKey}\n`);
    return 0;
  }
  io.out(`no match\n${explainNoMatch(route, view)}\n`);
  return 1;
}

if (import.meta.main) {
  process.exitCode = await routeTestCommand(process.argv.slice(2));
}
