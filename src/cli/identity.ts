/**
 * `ledge identity add|list|show|remove DEVICE[/MODULE]`: manage devices and modules; `add`
 * prints the connection string the SDKs use (`HostName`, `DeviceId`, `ModuleId`,
 * `SharedAccessKey`, `GatewayHostName`).
 *
 * @module
 */
import { call } from "../api/mgmt/mod.ts";
import { configFrom, type Io, parse, UsageError } from "./io.ts";

const usage =
  "usage: ledge identity add|show|remove DEVICE[/MODULE] | ledge identity list [--json]";

interface IdentityView {
  id: string;
  status: string;
  managedBy: string;
  connectionString: string;
}

export async function identityCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" } });
  const sock = configFrom(values).mgmtSocketPath;
  const [verb, id] = positionals;
  const path = (i: string) => `/identities/${encodeURIComponent(i)}`;
  switch (verb) {
    case "add": {
      if (!id) throw new UsageError(usage);
      const r = await call<IdentityView>(sock, "POST", "/identities", { id });
      io.out(values.json ? JSON.stringify(r.body, null, 2) : r.body.connectionString);
      return 0;
    }
    case "show": {
      if (!id) throw new UsageError(usage);
      const r = await call<IdentityView>(sock, "GET", path(id));
      io.out(JSON.stringify(r.body, null, 2));
      return 0;
    }
    case "remove": {
      if (!id) throw new UsageError(usage);
      await call(sock, "DELETE", path(id));
      io.out(`removed ${id}`);
      return 0;
    }
    case "list": {
      const r = await call<{ identities: IdentityView[] }>(sock, "GET", "/identities");
      if (values.json) io.out(JSON.stringify(r.body.identities, null, 2));
      else {
        const rows = r.body.identities.map((i) => [i.id, i.status, i.managedBy]);
        io.out(table([["ID", "STATUS", "MANAGED BY"], ...rows]));
      }
      return 0;
    }
    default:
      throw new UsageError(usage);
  }
}

/** Left-aligned columns, at least 15 wide, like `iotedge list`. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(15, ...rows.map((r) => (r[c] ?? "").length + 2)));
  return rows.map((r) =>
    r.map((cell, c) => c === r.length - 1 ? cell : cell.padEnd(widths[c])).join("")
  )
    .join("\n");
}
