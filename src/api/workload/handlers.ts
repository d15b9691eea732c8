/**
 * The workload API operations (workload-api.md §3–§4) behind a routed request: caller
 * authorization (the socket's module must be the `{name}` in the path, and must be a known
 * module), HMAC-SHA256 signing with the module's primary key, the trust bundle, server and identity
 * certificates issued by the Edge CA, and encrypt/decrypt. Dependencies are injected, so these
 * functions do no socket I/O and are tested directly as well as over HTTP.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import {
  type CertAndKey,
  certExpiry,
  type KeyType,
  type LeafOptions,
} from "../../identity/pki/mod.ts";
import {
  decodeBase64Field,
  decodeBody,
  decodeOptionalBody,
  decryptRequestSchema,
  encryptRequestSchema,
  identityCertRequestSchema,
  serverCertRequestSchema,
  signRequestSchema,
} from "./bodies.ts";
import { stripDollar, WorkloadError, type WorkloadRoute } from "./routes.ts";

/** A module identity's signing material. */
export interface ModuleKey {
  /** Base64 primary symmetric key (the key IoT Hub / the hub holds for the module). */
  primaryKey: string;
  generationId: string;
}

/** Where module keys come from (the identity registry). */
export interface WorkloadKeys {
  /** The module's key, or undefined when no such module identity exists. */
  moduleKey(moduleId: string): Promise<ModuleKey | undefined>;
}

/** The Edge CA operations the workload API needs; `Pki` satisfies this. */
export interface WorkloadPki {
  readonly trustBundlePem: string;
  readonly manifestTrustBundlePem?: string;
  issueServerCert(options: LeafOptions): CertAndKey | Promise<CertAndKey>;
  issueClientCert(options: LeafOptions): CertAndKey | Promise<CertAndKey>;
}

/** Everything the workload API depends on. */
export interface WorkloadDeps {
  keys: WorkloadKeys;
  pki: WorkloadPki;
  /** Needed for identity certificates (their URI SAN names hub, device and module). */
  device?: { hubHostname: string; deviceId: string };
  /** `GET /modules` body items (management API ModuleDetails); route disabled when absent. */
  listModules?: () => Promise<unknown[]>;
  /** 32+ random bytes; enables encrypt/decrypt. Must be stable across restarts. */
  encryptionKey?: Uint8Array;
  /** Key type of workload-issued certs; default RSA-2048 as IoT Edge 1.2+ issues. */
  leafKeyType?: KeyType;
}

/** A handler result: HTTP status and JSON body. */
export interface WorkloadResponse {
  status: number;
  body: unknown;
}

/** The request as the handler sees it. */
export interface WorkloadCall {
  /** Module id the socket belongs to (e.g. `$edgeHub`, `filterModule`). */
  moduleId: string;
  route: WorkloadRoute;
  body: Uint8Array;
  contentType: string | undefined;
}

/** Runs one routed call. Throws {@link WorkloadError} for every spec'd failure. */
export async function handleWorkload(
  call: WorkloadCall,
  deps: WorkloadDeps,
): Promise<WorkloadResponse> {
  const { route } = call;
  switch (route.kind) {
    case "trustBundle": {
      let certificate: string;
      try {
        certificate = deps.pki.trustBundlePem;
      } catch {
        throw new WorkloadError(404, `certificate "aziot-edged-trust-bundle" not found`);
      }
      return { status: 200, body: { certificate } };
    }
    case "manifestTrustBundle":
      return { status: 200, body: { certificate: deps.pki.manifestTrustBundlePem ?? "" } };
    case "listModules":
      if (!deps.listModules) throw new WorkloadError(404, "not found");
      return { status: 200, body: { modules: await deps.listModules() } };
    case "sign": {
      const key = await authorize(call, deps, route.name);
      const req = decodeBody(
        call.body,
        call.contentType,
        signRequestSchema,
        "missing parameter: request body",
      );
      const data = decodeBase64Field("data", req.data);
      const digest = createHmac("sha256", Buffer.from(key.primaryKey, "base64")).update(data)
        .digest("base64");
      return { status: 200, body: { digest } };
    }
    case "serverCert": {
      await authorize(call, deps, route.name);
      const req = decodeBody(
        call.body,
        call.contentType,
        serverCertRequestSchema,
        "missing request body",
      );
      const certId = `${route.name}:${route.genid}:server`;
      const isAddress = isIP(req.commonName) !== 0;
      return issue(certId, () =>
        deps.pki.issueServerCert({
          commonName: req.commonName,
          ipAddresses: isAddress ? [req.commonName] : [],
          dnsNames: isAddress ? [route.name] : [req.commonName, route.name],
          keyType: deps.leafKeyType ?? "rsa-2048",
        }));
    }
    case "identityCert": {
      await authorize(call, deps, route.name);
      decodeOptionalBody(call.body, call.contentType, identityCertRequestSchema);
      const certId = `${route.name}:identity`;
      const device = deps.device;
      if (!device) {
        throw new WorkloadError(500, `failed to create cert ${certId}: device not configured`);
      }
      return issue(certId, () =>
        deps.pki.issueClientCert({
          commonName: route.name,
          uris: [
            `azureiot://${device.hubHostname}/devices/${device.deviceId}/modules/${route.name}`,
          ],
          keyType: deps.leafKeyType ?? "rsa-2048",
        }));
    }
    case "encrypt":
    case "decrypt":
      await authorize(call, deps, route.name);
      return crypt(call, route, deps);
  }
}

/**
 * §3: the socket's module must be the path's module (per-module sockets stand in for the peer-PID
 * check), and the module must exist; both failures are 403 `forbidden`.
 */
async function authorize(call: WorkloadCall, deps: WorkloadDeps, name: string): Promise<ModuleKey> {
  if (stripDollar(call.moduleId) !== name) throw new WorkloadError(403, "forbidden");
  let key: ModuleKey | undefined;
  try {
    key = await deps.keys.moduleKey(call.moduleId);
  } catch (err) {
    throw new WorkloadError(
      500,
      `failed to get module identity for ${name}: ${(err as Error).message}`,
    );
  }
  if (!key) throw new WorkloadError(403, "forbidden");
  return key;
}

async function issue(
  certId: string,
  make: () => CertAndKey | Promise<CertAndKey>,
): Promise<WorkloadResponse> {
  let pair: CertAndKey;
  try {
    pair = await make();
  } catch (err) {
    throw new WorkloadError(500, `failed to create cert ${certId}: ${(err as Error).message}`);
  }
  const notAfter = certExpiry(pair.certPem);
  return {
    status: 201,
    body: {
      privateKey: { type: "key", bytes: pair.keyPem },
      certificate: pair.certPem,
      expiration: rfc3339(notAfter),
    },
  };
}

/** `2026-11-20T10:00:00+00:00` (UTC, whole seconds), the form aziot-edged emits. */
export function rfc3339(date: Date): string {
  return date.toISOString().slice(0, 19) + "+00:00";
}

const CIPHER_VERSION = 1;

function moduleCipherKey(master: Uint8Array, name: string, genid: string): Buffer {
  const info = `ledge workload encrypt ${name}:${genid}`;
  return Buffer.from(hkdfSync("sha256", master, "ledge-workload", info, 32));
}

/**
 * §4.5 encrypt/decrypt: AES-256-GCM under a per-module key derived from the device master key.
 * The caller's `initializationVector` is bound as additional data; the GCM nonce is random per
 * call and carried in the ciphertext (version byte | nonce | ciphertext | tag), so a client that
 * reuses its IV (edgeHub does) never causes nonce reuse.
 */
function crypt(
  call: WorkloadCall,
  route: { kind: "encrypt" | "decrypt"; name: string; genid: string },
  deps: WorkloadDeps,
): WorkloadResponse {
  if (!deps.encryptionKey) throw new WorkloadError(404, "not found");
  const key = moduleCipherKey(deps.encryptionKey, route.name, route.genid);
  if (route.kind === "encrypt") {
    const req = decodeBody(
      call.body,
      call.contentType,
      encryptRequestSchema,
      "missing request body",
    );
    const plaintext = decodeBase64Field("plaintext", req.plaintext);
    const aad = decodeBase64Field("initializationVector", req.initializationVector);
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, nonce).setAAD(aad);
    const out = Buffer.concat([
      Buffer.of(CIPHER_VERSION),
      nonce,
      cipher.update(plaintext),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return { status: 200, body: { ciphertext: out.toString("base64") } };
  }
  const req = decodeBody(
    call.body,
    call.contentType,
    decryptRequestSchema,
    "missing request body",
  );
  const blob = decodeBase64Field("ciphertext", req.ciphertext);
  const aad = decodeBase64Field("initializationVector", req.initializationVector);
  if (blob.length < 1 + 12 + 16 || blob[0] !== CIPHER_VERSION) {
    throw new WorkloadError(400, "invalid parameter: ciphertext has an unknown format");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, blob.subarray(1, 13)).setAAD(aad);
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    const plain = Buffer.concat([
      decipher.update(blob.subarray(13, blob.length - 16)),
      decipher.final(),
    ]);
    return { status: 200, body: { plaintext: plain.toString("base64") } };
  } catch {
    throw new WorkloadError(400, "invalid parameter: ciphertext could not be decrypted");
  }
}
