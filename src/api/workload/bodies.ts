/**
 * Request bodies of the workload API (workload-api.md §4) as zod schemas, plus the JSON decoding
 * rules of §1/§2: JSON when Content-Type is absent or `application/json`, 415 otherwise, 422 with
 * the parser's text for malformed JSON or a body of the wrong shape (the text names the field),
 * and the route-specific "missing body" errors. Base64 is checked strictly (standard alphabet,
 * padding required) and reported as 400 `invalid parameter: ...`.
 */
import * as z from "zod";
import { WorkloadError } from "./routes.ts";

/** `POST .../sign` body. 1.2+ reads only `data`; `keyId`/`algo` are accepted and ignored. */
export const signRequestSchema = z.object({
  keyId: z.string().optional(),
  algo: z.string().optional(),
  data: z.string(),
});
/** Parsed sign request. */
export type SignRequest = z.infer<typeof signRequestSchema>;

/** `POST .../certificate/server` body; `expiration` is accepted and ignored. */
export const serverCertRequestSchema = z.object({
  commonName: z.string().min(1).max(64),
  expiration: z.string().optional(),
});
/** Parsed server certificate request. */
export type ServerCertRequest = z.infer<typeof serverCertRequestSchema>;

/** `POST .../certificate/identity` body (optional); `expiration` is accepted and ignored. */
export const identityCertRequestSchema = z.object({ expiration: z.string().optional() });

/** `POST .../encrypt` body. */
export const encryptRequestSchema = z.object({
  plaintext: z.string(),
  initializationVector: z.string(),
});

/** `POST .../decrypt` body. */
export const decryptRequestSchema = z.object({
  ciphertext: z.string(),
  initializationVector: z.string(),
});

/** True when a Content-Type header means JSON (absent counts as JSON). */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined || header.trim() === "") return true;
  return header.split(";")[0].trim().toLowerCase() === "application/json";
}

/** Decodes a required JSON body; an absent body is 400 with the route's `missingMessage`. */
export function decodeBody<T>(
  raw: Uint8Array,
  contentType: string | undefined,
  schema: z.ZodType<T>,
  missingMessage: string,
): T {
  if (raw.length === 0) throw new WorkloadError(400, missingMessage);
  return parseJson(raw, contentType, schema);
}

/** Decodes an optional JSON body (absent → undefined). */
export function decodeOptionalBody<T>(
  raw: Uint8Array,
  contentType: string | undefined,
  schema: z.ZodType<T>,
): T | undefined {
  return raw.length === 0 ? undefined : parseJson(raw, contentType, schema);
}

function parseJson<T>(raw: Uint8Array, contentType: string | undefined, schema: z.ZodType<T>): T {
  if (!isJsonContentType(contentType)) {
    throw new WorkloadError(415, "request body must be application/json");
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch (err) {
    throw new WorkloadError(422, `invalid JSON in request body: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new WorkloadError(422, describeZodError(parsed.error));
  return parsed.data;
}

/** "field: reason; other: reason" (or "request body: reason" at the top level). */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => {
    const field = issue.path.length === 0 ? "request body" : issue.path.join(".");
    return `${field}: ${issue.message}`;
  }).join("; ");
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 → bytes, or 400 `invalid parameter: <field> ...`. */
export function decodeBase64Field(field: string, value: string): Uint8Array {
  if (!BASE64_RE.test(value)) {
    const bad = [...value].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
    const why = bad >= 0
      ? `invalid byte ${JSON.stringify(value[bad])} at offset ${bad}`
      : `invalid length or padding (${value.length} characters)`;
    throw new WorkloadError(400, `invalid parameter: ${field} is not valid base64 (${why})`);
  }
  return new Uint8Array(Buffer.from(value, "base64"));
}
