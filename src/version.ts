/**
 * ledge's version and the git revision it was built from. The shipped program is the bundle
 * `scripts/bundle.sh` writes to dist/bundle/, with a stamp `version.json` next to its chunks
 * (and embedded by `cross-compile.sh`); a source checkout has no stamp and reports deno.json's
 * version and revision `dev`.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** Parses the JSON file at `path` relative to this module; undefined if it isn't there. */
function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const raw: unknown = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
    return raw && typeof raw === "object" ? raw as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

function versionInfo(): { version: string; revision: string } {
  const stamp = readJson("./version.json"); // a bundle's stamp
  if (typeof stamp?.version === "string" && typeof stamp.revision === "string") {
    return { version: stamp.version, revision: stamp.revision };
  }
  // Read at run time rather than imported: a JSON import would put all of deno.json into the
  // bundle, where the stamp makes it useless.
  const denoJson = readJson("../deno.json");
  return {
    version: typeof denoJson?.version === "string" ? denoJson.version : "0.0.0",
    revision: "dev",
  };
}

const info = versionInfo();
export const VERSION: string = info.version;
export const REVISION: string = info.revision;
