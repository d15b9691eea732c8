/**
 * `ledge config default` prints the embedded default configuration; `ledge config check`
 * validates a file and prints the effective configuration.
 *
 * @module
 */
import yaml from "js-yaml";
import { DEFAULT_CONFIG_YAML } from "../config/mod.ts";
import { configFrom, type Io, parse, UsageError } from "./io.ts";

export function configCommand(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {});
  switch (positionals[0]) {
    case "default":
      io.out(DEFAULT_CONFIG_YAML);
      return 0;
    case "check": {
      const c = configFrom(values);
      const {
        source: _s,
        dataDir: _d,
        mgmtSocketPath: _m,
        iothubHostname: _i,
        gatewayHostname: _g,
        ...plain
      } = c;
      io.out(`# ${c.source}: valid\n${yaml.dump(plain)}`);
      return 0;
    }
    default:
      throw new UsageError("usage: ledge config default | ledge config check [--config FILE]");
  }
}
