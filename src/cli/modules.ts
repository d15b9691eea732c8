/**
 * Deployment and module commands: `ledge deploy FILE` (JSON or YAML manifest), `ledge list`,
 * `ledge logs MODULE [--tail N] [--since T] [--follow]`, `ledge restart MODULE`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { call, stream } from "../api/mgmt/mod.ts";
import { configFrom, type Io, parse, UsageError } from "./io.ts";
import { table } from "./identity.ts";

/** Reads a manifest file: JSON, or the same structure in YAML. */
export function readManifest(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    try {
      return yaml.load(text);
    } catch (e) {
      throw new UsageError(`${file} is neither JSON nor YAML: ${(e as Error).message}`);
    }
  }
}

export async function deployCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {});
  if (!positionals[0]) throw new UsageError("usage: ledge deploy FILE");
  const manifest = readManifest(positionals[0]);
  const sock = configFrom(values).mgmtSocketPath;
  const r = await call<{ code: number; description: string }>(sock, "POST", "/deploy", {
    manifest,
  });
  const line = `${r.body.code} ${r.body.description}`.trim();
  if (r.body.code === 200) {
    io.out(line);
    return 0;
  }
  io.err(`deployment not applied: ${line}`);
  return 1;
}

interface ModuleRow {
  name: string;
  status: string;
  description: string;
  config: string;
}

export async function listCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { json: { type: "boolean" } }, false);
  const sock = configFrom(values).mgmtSocketPath;
  const r = await call<{ modules: ModuleRow[] }>(sock, "GET", "/modules");
  if (values.json) {
    io.out(JSON.stringify(r.body.modules, null, 2));
    return 0;
  }
  const rows = [...r.body.modules].sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => [m.name, m.status, m.description, m.config]);
  io.out(table([["NAME", "STATUS", "DESCRIPTION", "CONFIG"], ...rows]));
  return 0;
}

export async function logsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    tail: { type: "string" },
    since: { type: "string" },
    follow: { type: "boolean", short: "f" },
  });
  const [name] = positionals;
  if (!name) throw new UsageError("usage: ledge logs MODULE [--tail N|all] [--since T] [--follow]");
  const sock = configFrom(values).mgmtSocketPath;
  const q = new URLSearchParams({
    follow: String(values.follow ?? false),
    tail: values.tail ?? "all",
  });
  if (values.since) q.set("since", values.since);
  const decoder = new TextDecoder();
  for await (const chunk of stream(sock, `/modules/${encodeURIComponent(name)}/logs?${q}`)) {
    const text = decoder.decode(chunk, { stream: true });
    if (text) io.out(text.endsWith("\n") ? text.slice(0, -1) : text);
  }
  return 0;
}

export async function restartCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {});
  if (!positionals[0]) throw new UsageError("usage: ledge restart MODULE");
  await call(
    configFrom(values).mgmtSocketPath,
    "POST",
    `/modules/${encodeURIComponent(positionals[0])}/restart`,
  );
  io.out(`Restarted ${positionals[0]}\n`);
  return 0;
}
