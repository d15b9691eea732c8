/**
 * ledge's version and the git revision it was built from. Release builds carry a stamp that
 * `cross-compile.sh` writes to dist/build/version.json and embeds with `deno compile --include`;
 * a source checkout has no stamp and reports deno.json's version and revision `dev`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import denoJson from "../deno.json" with { type: "json" };

/** What cross-compile.sh stamps into a release binary. */
interface BuildStamp {
  version: string;
  revision: string;
}

function readStamp(): BuildStamp | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(new URL("../dist/build/version.json", import.meta.url), "utf8"));
  } catch {
    return undefined; // not a release build
  }
  const s = raw as Partial<Record<keyof BuildStamp, unknown>>;
  return typeof s?.version === "string" && typeof s.revision === "string"
    ? { version: s.version, revision: s.revision }
    : undefined;
}

const stamp = readStamp();
export const VERSION: string = stamp?.version ?? denoJson.version;
export const REVISION: string = stamp?.revision ?? "dev";
