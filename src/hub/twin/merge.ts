/**
 * Twin property documents: merging a patch (JSON merge-patch semantics, `null` deletes) and
 * the checks IoT Hub applies to a patch. Pure.
 *
 * @module
 */

export type TwinProps = { [key: string]: TwinValue };
export type TwinValue = string | number | boolean | null | TwinProps | TwinValue[];

/** IoT Hub's limits on twin documents (approximate: 32 KB per section, depth 10). */
export const MAX_SECTION_BYTES = 32 * 1024;
export const MAX_DEPTH = 10;
export const MAX_KEY_LENGTH = 128;

function isObject(v: unknown): v is TwinProps {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Returns `base` with `patch` merged in: objects merge recursively, `null` removes a key. */
export function mergePatch(base: TwinProps, patch: TwinProps): TwinProps {
  const out: TwinProps = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = mergePatch(out[k] as TwinProps, v);
    else if (isObject(v)) out[k] = mergePatch({}, v);
    else out[k] = v;
  }
  return out;
}

/** Why a patch is refused. */
export class TwinPatchError extends Error {
  override name = "TwinPatchError";
}

/** Checks a patch's shape: an object, keys without `$`/`.`/space, bounded depth and size. */
export function checkPatch(patch: unknown, what: string): TwinProps {
  if (!isObject(patch)) throw new TwinPatchError(`${what} must be a JSON object`);
  const walk = (v: unknown, depth: number, path: string) => {
    if (!isObject(v)) return;
    if (depth > MAX_DEPTH) throw new TwinPatchError(`${what} is nested deeper than ${MAX_DEPTH}`);
    for (const [k, child] of Object.entries(v)) {
      if (k.length > MAX_KEY_LENGTH) {
        throw new TwinPatchError(`${what}: key '${path}${k}' too long`);
      }
      if (k.startsWith("$") || /[. ]/.test(k)) {
        throw new TwinPatchError(
          `${what}: key '${path}${k}' may not start with $ or contain . or space`,
        );
      }
      walk(child, depth + 1, `${path}${k}.`);
    }
  };
  walk(patch, 1, "");
  if (JSON.stringify(patch).length > MAX_SECTION_BYTES) {
    throw new TwinPatchError(`${what} is larger than ${MAX_SECTION_BYTES} bytes`);
  }
  return patch;
}

/** Strips `$version` (and other `$` metadata) a client may echo back in a patch. */
export function withoutMetadata(patch: TwinProps): TwinProps {
  const out: TwinProps = {};
  for (const [k, v] of Object.entries(patch)) if (!k.startsWith("$")) out[k] = v;
  return out;
}
