/**
 * The cloud-side commands, served by the local hub: `ledge twin show|update`, `ledge invoke`,
 * `ledge send`, `ledge monitor` and `ledge ca-cert`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { call, stream } from "../api/mgmt/mod.ts";
import { PkiFiles } from "../identity/pki/mod.ts";
import { configFrom, type Io, parse, UsageError } from "./io.ts";

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

const enc = encodeURIComponent;

export async function twinCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { desired: { type: "string" } });
  const sock = configFrom(values).mgmtSocketPath;
  const [verb, id] = positionals;
  if (!id || (verb !== "show" && verb !== "update")) {
    throw new UsageError("usage: ledge twin show ID | ledge twin update ID --desired JSON");
  }
  if (verb === "show") {
    io.out(JSON.stringify((await call(sock, "GET", `/twins/${enc(id)}`)).body, null, 2));
    return 0;
  }
  if (!values.desired) throw new UsageError("ledge twin update needs --desired JSON");
  const desired = json(values.desired, "--desired");
  const r = await call(sock, "PATCH", `/twins/${enc(id)}`, { desired });
  io.out(JSON.stringify(r.body, null, 2));
  return 0;
}

export async function invokeCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    payload: { type: "string" },
    timeout: { type: "string" },
  });
  const [id, methodName] = positionals;
  if (!id || !methodName) {
    throw new UsageError("usage: ledge invoke ID METHOD [--payload JSON] [--timeout S]");
  }
  const timeout = values.timeout === undefined ? 30 : Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 300) {
    throw new UsageError(`--timeout must be whole seconds from 1 to 300 (got '${values.timeout}')`);
  }
  const sock = configFrom(values).mgmtSocketPath;
  const payload = values.payload === undefined ? null : json(values.payload, "--payload");
  try {
    const r = await call<{ status: number; payload: unknown }>(
      sock,
      "POST",
      `/methods/${enc(id)}`,
      {
        methodName,
        payload,
        responseTimeoutInSeconds: timeout,
      },
    );
    io.out(JSON.stringify(r.body, null, 2));
    return r.body.status >= 200 && r.body.status < 300 ? 0 : 1;
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (status) {
      io.out(JSON.stringify({ status, error: (e as Error).message }, null, 2));
      return 1;
    }
    throw e;
  }
}

export async function sendCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    body: { type: "string" },
    prop: { type: "string", multiple: true },
    "message-id": { type: "string" },
  });
  const [id] = positionals;
  if (!id || values.body === undefined) {
    throw new UsageError("usage: ledge send DEVICE --body TEXT [--prop k=v]... [--message-id ID]");
  }
  const properties: Record<string, string> = {};
  for (const p of values.prop ?? []) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--prop '${p}' is not k=v`);
    properties[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const sock = configFrom(values).mgmtSocketPath;
  const r = await call<{ messageId: string; queued: number }>(sock, "POST", `/c2d/${enc(id)}`, {
    body: values.body,
    properties,
    ...(values["message-id"] ? { messageId: values["message-id"] } : {}),
  });
  io.out(`queued message ${r.body.messageId} for ${id} (${r.body.queued} waiting)`);
  return 0;
}

export async function monitorCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { device: { type: "string", short: "d" } }, false);
  const sock = configFrom(values).mgmtSocketPath;
  const q = values.device ? `?device=${enc(values.device)}` : "";
  io.err("Starting event monitor, use ctrl-c to stop...");
  let pending = "";
  for await (const chunk of stream(sock, `/monitor${q}`)) {
    pending += new TextDecoder().decode(chunk);
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) io.out(JSON.stringify(JSON.parse(line), null, 4));
    }
  }
  return 0;
}

export function caCertCommand(argv: string[], io: Io): number {
  const { values } = parse(argv, {}, false);
  const config = configFrom(values);
  const file = join(config.dataDir, "pki", PkiFiles.caCert);
  try {
    io.out(readFileSync(file, "utf8"));
    return 0;
  } catch {
    io.err(`no CA certificate at ${file}; start ledge once ('ledge run') to create it`);
    return 1;
  }
}
