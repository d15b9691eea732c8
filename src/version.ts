/**
 * ledge's version and the git revision it was built from. `cross-compile.sh` stamps release
 * builds by writing `build_info.json` next to this file before compiling; a source checkout
 * reports the version from deno.json and revision `dev`.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

export const VERSION: string = denoJson.version;
export const REVISION = "dev";
