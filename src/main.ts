/**
 * The `ledge` command: parses the first word and hands the rest to its command. Errors end
 * as one clear line on stderr: exit 2 for a wrong command line, 1 for everything else.
 *
 * @module
 */
import process from "node:process";
import { ConfigError } from "./config/mod.ts";
import { MgmtClientError } from "./api/mgmt/mod.ts";
import { commandArgs, runtimeDescription } from "./platform/mod.ts";
import { type Io, stdio, UsageError } from "./cli/io.ts";
import { REVISION, VERSION } from "./version.ts";

const HELP = `ledge ${VERSION} — an IoT Edge runtime in one executable

Usage: ledge <command> [options]   (every command accepts --config FILE, or $LEDGE_CONFIG)

  run                              start the hub, agent and APIs
  config default | check           print the default config | validate a config file
  identity add|show|remove ID      manage devices (DEVICE) and modules (DEVICE/MODULE)
  identity list                    list identities
  ca-cert                          print the CA certificate clients must trust
  monitor [--device D]             stream messages arriving at the hub
  twin show ID                     print a twin
  twin update ID --desired JSON    patch desired properties
  invoke ID METHOD [--payload JSON] [--timeout S]   call a direct method
  send DEVICE --body TEXT [--prop k=v]...           send a cloud-to-device message
  route test "ROUTE" --message FILE                 evaluate a route against a message
  deploy FILE                      apply a deployment manifest (JSON or YAML)
  list                             list modules and their status
  logs MODULE [--tail N] [--since T] [--follow]     show a module's logs
  restart MODULE                   restart a module
  version                          print the version
`;

type Command = (argv: string[], io: Io) => Promise<number> | number;

const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./cli/run.ts")).runCommand,
  config: async () => (await import("./cli/config_cmd.ts")).configCommand,
  identity: async () => (await import("./cli/identity.ts")).identityCommand,
  "ca-cert": async () => (await import("./cli/cloud.ts")).caCertCommand,
  monitor: async () => (await import("./cli/cloud.ts")).monitorCommand,
  twin: async () => (await import("./cli/cloud.ts")).twinCommand,
  invoke: async () => (await import("./cli/cloud.ts")).invokeCommand,
  send: async () => (await import("./cli/cloud.ts")).sendCommand,
  route: async () => {
    const { routeTestCommand } = await import("./cli/route.ts");
    return (argv, io) => {
      if (argv[0] !== "test") {
        throw new UsageError('usage: ledge route test "ROUTE" --message FILE');
      }
      return routeTestCommand(argv.slice(1), io);
    };
  },
  deploy: async () => (await import("./cli/modules.ts")).deployCommand,
  list: async () => (await import("./cli/modules.ts")).listCommand,
  logs: async () => (await import("./cli/modules.ts")).logsCommand,
  restart: async () => (await import("./cli/modules.ts")).restartCommand,
  version: () =>
    Promise.resolve((_argv: string[], io: Io) => {
      io.out(`ledge ${VERSION} (${REVISION}) ${runtimeDescription()}`);
      return 0;
    }),
};

/** Runs one command line; returns the exit code. */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    io.out(HELP);
    return name ? 0 : 2;
  }
  if (name === "--version") return main(["version"], io);
  const load = commands[name];
  if (!load) {
    io.err(`ledge: unknown command '${name}' (see 'ledge help')`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`ledge ${name}: ${e.message}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.err(`ledge: invalid configuration: ${e.message}`);
      return 1;
    }
    if (e instanceof MgmtClientError) {
      io.err(`ledge ${name}: ${e.message}`);
      return 1;
    }
    io.err(`ledge ${name}: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(commandArgs());
}
