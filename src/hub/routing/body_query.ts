/**
 * `$body` queries (routing.md §4.6): the restricted JSONPath `seg(.seg)*` with `seg` = `name` or
 * `name[index]`, the rules for when a body may be read as JSON (contentType exactly
 * `application/json`, contentEncoding utf-8/utf-16/utf-32) and how a path selects a value
 * (missing → JSON null, object/array → undefined).
 *
 * @module
 */

import type { Value } from "./values.ts";

/** One step of a body path. */
export interface PathSegment {
  name: string;
  index?: number;
}

const SEGMENT = /^([^()<>@,;:\\"/[\]?={}.\t\n\r]+)(?:\[([0-9]+)\])?$/;

/** Parses a body path; returns the reason as a string when it is not supported. */
export function parseBodyPath(path: string): PathSegment[] | string {
  if (path.length === 0) return "$body query cannot be empty";
  const segments: PathSegment[] = [];
  for (const part of path.split(".")) {
    const m = SEGMENT.exec(part);
    // A digits-only name lexes as an integer in the JSONPath grammar, so it is not a name.
    if (!m || /^[0-9]+$/.test(m[1])) {
      return `Error in $body query. Unsupported path segment '${part}' in '${path}'`;
    }
    segments.push(m[2] === undefined ? { name: m[1] } : { name: m[1], index: Number(m[2]) });
  }
  return segments;
}

/** A parsed JSON object body, or undefined when the body cannot be queried. */
export type JsonObject = Record<string, unknown>;

function decodeUtf32le(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const cp = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>>
      0;
    out += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : "\ufffd";
  }
  return out;
}

/** Decodes `bytes` with a contentEncoding name; undefined for an unsupported encoding. */
export function decodeText(bytes: Uint8Array, encoding: string): string | undefined {
  switch (encoding.toLowerCase()) {
    case "utf-8":
      return new TextDecoder("utf-8").decode(bytes);
    case "utf-16":
      return new TextDecoder("utf-16le").decode(bytes);
    case "utf-32":
      return decodeUtf32le(bytes).replace(/^\ufeff/, "");
    default:
      return undefined;
  }
}

/** Parses text as a JSON object; arrays, scalars and invalid JSON give undefined. */
export function parseJsonObject(text: string): JsonObject | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v as JsonObject : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The JSON object in a message body when `$body` queries apply to it: contentType exactly
 * `application/json` (case-insensitive) and a supported contentEncoding; else undefined.
 */
export function queryableBody(
  body: Uint8Array,
  contentType: string | null | undefined,
  contentEncoding: string | null | undefined,
): JsonObject | undefined {
  if (typeof contentType !== "string" || contentType.toLowerCase() !== "application/json") {
    return undefined;
  }
  if (typeof contentEncoding !== "string") return undefined;
  const text = decodeText(body, contentEncoding);
  return text === undefined ? undefined : parseJsonObject(text);
}

/** Walks `path` through `root`; returns the raw JSON value or undefined when nothing matches. */
export function selectJson(root: JsonObject, path: readonly PathSegment[]): unknown {
  let current: unknown = root;
  for (const seg of path) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, seg.name)) return undefined;
    current = (current as JsonObject)[seg.name];
    if (seg.index !== undefined) {
      if (!Array.isArray(current) || seg.index >= current.length) return undefined;
      current = current[seg.index];
    }
  }
  return current;
}

/** `$body` result: leaf value; missing → null; object or array → undefined. */
export function bodyQueryValue(root: JsonObject, path: readonly PathSegment[]): Value {
  const v = selectJson(root, path);
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return undefined;
}
