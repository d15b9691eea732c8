/**
 * `ledge run [--config FILE]`: validate the configuration (exit 1 before opening any port if
 * it is wrong), start the daemon, and stop cleanly on SIGINT/SIGTERM.
 *
 * @module
 */
import { createLogger } from "../log/mod.ts";
import { onShutdownSignal } from "../platform/mod.ts";
import { configFrom, type Io, parse } from "./io.ts";

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {}, false);
  const config = configFrom(values);
  const log = createLogger(config.log.level);
  const { startDaemon } = await import("../daemon/daemon.ts");
  const daemon = await startDaemon(config, log);
  await new Promise<void>((resolve) => {
    onShutdownSignal((signal) => {
      log.info("shutting down", { signal });
      daemon.close().finally(resolve);
    });
  });
  io.out("ledge stopped");
  return 0;
}
