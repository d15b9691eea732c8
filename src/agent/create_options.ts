/**
 * Pure helpers for module settings: joining chunked `createOptions`/`createOptions01..99`
 * (deployment-manifest.md §2.4), splitting them back into 512-char chunks for reports,
 * image-name normalization (§2.3), and a canonical JSON form used for equality and hashing.
 */

/** A failure that names the field at fault; manifest.ts turns it into a 400. */
export class FieldError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

const CHUNK_KEY = /createoptions([0-9]*)/i;
const MAX_CHUNKS = 100;
const CHUNK_SIZE = 512;

/**
 * Join and parse the createOptions chunks of a module's `settings`.
 * `field` is the path of `settings` for error messages.
 */
export function readCreateOptions(
  settings: Record<string, unknown>,
  field: string,
): Record<string, unknown> {
  const keys = Object.keys(settings).filter((k) => CHUNK_KEY.test(k));
  if (keys.length === 0) return {};
  keys.sort((a, b) => {
    const x = a.toLowerCase(), y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  if (keys.length > MAX_CHUNKS) {
    throw new FieldError(`${field}.createOptions`, `more than ${MAX_CHUNKS} chunks`);
  }
  let text = "";
  keys.forEach((key, i) => {
    const suffix = CHUNK_KEY.exec(key)?.[1] ?? "";
    if (i === 0 ? suffix !== "" : Number.parseInt(suffix, 10) !== i) {
      throw new FieldError(
        `${field}.${key}`,
        i === 0
          ? "chunked createOptions must start with 'createOptions'"
          : `expected chunk number ${String(i).padStart(2, "0")} (no gaps allowed)`,
      );
    }
    const v = settings[key];
    if (v === null || v === undefined) return;
    if (typeof v !== "string") {
      throw new FieldError(`${field}.${key}`, "must be a string holding JSON");
    }
    text += v;
  });
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "null") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (e) {
    throw new FieldError(`${field}.createOptions`, `invalid JSON (${(e as Error).message})`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new FieldError(`${field}.createOptions`, "must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** Serialize createOptions compactly and split into `createOptions`, `createOptions01`, … */
export function writeCreateOptions(options: Record<string, unknown>): Record<string, string> {
  const text = JSON.stringify(options);
  const out: Record<string, string> = {};
  for (let i = 0, n = 0; i < text.length || n === 0; i += CHUNK_SIZE, n++) {
    const key = n === 0 ? "createOptions" : `createOptions${String(n).padStart(2, "0")}`;
    out[key] = text.slice(i, i + CHUNK_SIZE);
  }
  return out;
}

const IMAGE_RE = /^(?<repo>([^/]*\/)*)(?<image>[^/:]+)(?<tag>:[^/:]+)?$/;

/**
 * Validate an image reference and append `:latest` when it has no tag.
 * A digest reference (`name@sha256:…`) is kept as is.
 * @example normalizeImage("localhost:5000/x") // "localhost:5000/x:latest"
 */
export function normalizeImage(image: string, field: string): string {
  const s = image.trim();
  if (s === "") throw new FieldError(field, "image must not be blank");
  if (s.startsWith("$")) {
    throw new FieldError(field, "parent ($upstream) image references are not supported");
  }
  if (/@sha256:[0-9a-f]{64}$/.test(s)) return s;
  const m = IMAGE_RE.exec(s);
  if (!m) throw new FieldError(field, `'${s}' is not a valid image reference`);
  return m.groups?.tag ? s : `${s}:latest`;
}

/** The registry host of an image reference ("docker.io" when there is none). */
export function imageRegistry(image: string): string {
  const first = image.split("/")[0];
  if (
    image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
  ) {
    return first;
  }
  return "docker.io";
}

/** JSON with object keys sorted recursively, for equality checks and hashing. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      out[k] = sortKeys((value as Record<string, unknown>)[k]);
    }
    return out;
  }
  return value;
}
