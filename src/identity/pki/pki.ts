/**
 * The quickstart PKI kept in the data directory's `pki/` folder: an Edge CA (self-signed,
 * `CN=ledge edge CA <deviceId>`, 90 days by default, like IoT Edge's quickstart CA) and the hub's
 * TLS server certificate for the device hostname, `localhost`, 127.0.0.1 and ::1. `ensure()` creates
 * them on first start, reloads them later, and renews when 80% of a lifetime has passed, when the
 * key/cert pair is broken, or when the hostname set changed. A renewed CA always rotates its key and
 * forces a new server certificate (callers should then restart modules so they re-fetch the trust
 * bundle). The Pki also issues module certificates for the workload API.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { join } from "node:path";
import { ensurePrivateDir, readIfPresent, writeFileAtomic } from "./_files.ts";
import { nameDer } from "./_build.ts";
import { canonicalIp, inspectCertificate, pemBlocks } from "./_inspect.ts";
import {
  type CertAndKey,
  certValidity,
  createCa,
  generateKey,
  issueClientCert,
  issueServerCert,
  type KeyType,
  type LeafOptions,
  needsRenewal,
} from "./issue.ts";

/** File names inside the PKI directory. */
export const PkiFiles = {
  caCert: "edge-ca.cert.pem",
  caKey: "edge-ca.key.pem",
  serverCert: "hub-server.cert.pem",
  serverKey: "hub-server.key.pem",
} as const;

/** Construction options; all optional. */
export interface PkiOptions {
  /** Edge CA lifetime in days (IoT Edge `auto_generated_edge_ca_expiry_days`, default 90). */
  caDays?: number;
  /** Lifetime of the hub server cert and workload-issued certs (default 90, capped by the CA). */
  leafDays?: number;
  /** Fraction of lifetime after which certificates are renewed (default 0.8). */
  renewThreshold?: number;
  /** Extra PEM certificates appended to the trust bundle (config `trust_bundle_cert`). */
  userTrustBundlePem?: string;
  /** A user-provided Edge CA (config `[edge_ca] cert/pk`); never generated nor renewed. */
  edgeCa?: CertAndKey;
  /** Key type of generated keys (default EC P-256). */
  keyType?: KeyType;
  /** Clock for workload issuance (ensure() takes its own `now`). */
  clock?: () => Date;
}

/** Inputs of {@link Pki.ensure}. */
export interface EnsureRequest {
  hostname: string;
  deviceId: string;
  now?: Date;
}

/** What {@link Pki.ensure} did, with human-readable reasons for the log. */
export interface EnsureResult {
  caRenewed: boolean;
  serverRenewed: boolean;
  reasons: string[];
}

/** Edge CA + hub server certificate persisted in one directory. */
export class Pki {
  readonly #dir: string;
  readonly #options: PkiOptions;
  #ca?: CertAndKey;
  #server?: CertAndKey;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, options: PkiOptions = {}) {
    this.#dir = dir;
    this.#options = options;
  }

  /** Edge CA certificate PEM (after ensure()). */
  get caPem(): string {
    return this.#loadedCa().certPem;
  }

  /** Hub TLS server certificate and key (after ensure()). */
  get serverCert(): CertAndKey {
    if (!this.#server) throw new Error("Pki.ensure() has not completed");
    return this.#server;
  }

  /** Edge CA followed by the user's trust bundle certificates. */
  get trustBundlePem(): string {
    const user = this.#options.userTrustBundlePem?.trim();
    return user ? `${this.caPem.trimEnd()}\n${user}\n` : this.caPem;
  }

  /**
   * When the next renewal is due (the earlier 80% point of the CA and the server cert); the daemon
   * calls ensure() again at that time. A user-provided CA is not counted.
   */
  renewalDueAt(): Date {
    const threshold = this.#options.renewThreshold ?? 0.8;
    const due = (pem: string) => {
      const { notBefore, notAfter } = certValidity(pem);
      return notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) * threshold;
    };
    const server = due(this.serverCert.certPem);
    const ca = this.#options.edgeCa ? Infinity : due(this.caPem);
    return new Date(Math.ceil(Math.min(server, ca)));
  }

  /** Creates, loads or renews the CA and hub server certificate. Calls are serialised. */
  ensure(request: EnsureRequest): Promise<EnsureResult> {
    const run = this.#queue.then(() => this.#ensure(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Issues a server cert from the Edge CA (workload API); the key is generated off-thread. */
  async issueServerCert(options: LeafOptions): Promise<CertAndKey> {
    return issueServerCert(this.#loadedCa(), await this.#leafDefaults(options));
  }

  /** Issues a client cert from the Edge CA (workload API identity certs). */
  async issueClientCert(options: LeafOptions): Promise<CertAndKey> {
    return issueClientCert(this.#loadedCa(), await this.#leafDefaults(options));
  }

  async #leafDefaults(options: LeafOptions): Promise<LeafOptions> {
    const keyType = options.keyType ?? this.#options.keyType;
    return {
      days: this.#options.leafDays,
      keyType,
      now: this.#options.clock?.(),
      ...options,
      key: options.key ?? await generateKey(keyType),
    };
  }

  #loadedCa(): CertAndKey {
    if (!this.#ca) throw new Error("Pki.ensure() has not completed");
    return this.#ca;
  }

  async #ensure({ hostname, deviceId, now = new Date() }: EnsureRequest): Promise<EnsureResult> {
    if (hostname.trim() === "") throw new RangeError("hostname: must not be empty");
    if (deviceId.trim() === "") throw new RangeError("deviceId: must not be empty");
    const threshold = this.#options.renewThreshold ?? 0.8;
    const reasons: string[] = [];
    await ensurePrivateDir(this.#dir);

    let caRenewed = false;
    if (this.#options.edgeCa) {
      this.#ca = this.#options.edgeCa;
    } else {
      const commonName = `ledge edge CA ${deviceId}`.slice(0, 64);
      const stored = await this.#readPair(PkiFiles.caCert, PkiFiles.caKey);
      const problem = caProblem(stored, commonName, now, threshold);
      if (problem || !stored) {
        reasons.push(`${problem}: creating a new edge CA`);
        this.#ca = createCa({
          commonName,
          days: this.#options.caDays ?? 90,
          now,
          key: await generateKey(this.#options.keyType),
        });
        await this.#writePair(this.#ca, PkiFiles.caCert, PkiFiles.caKey);
        caRenewed = true;
      } else {
        this.#ca = stored;
      }
    }

    const names = hubNames(hostname);
    const stored = await this.#readPair(PkiFiles.serverCert, PkiFiles.serverKey);
    const problem = caRenewed
      ? "new edge CA"
      : serverProblem(stored, this.#ca.certPem, names, now, threshold);
    if (problem || !stored) {
      reasons.push(`${problem}: issuing a new hub server certificate`);
      this.#server = issueServerCert(this.#ca, {
        commonName: hostname.trim().length <= 64 ? hostname.trim() : "ledge hub",
        dnsNames: names.dns,
        ipAddresses: names.ip,
        days: this.#options.leafDays,
        now,
        key: await generateKey(this.#options.keyType),
      });
      await this.#writePair(this.#server, PkiFiles.serverCert, PkiFiles.serverKey);
    } else {
      this.#server = stored;
    }
    return { caRenewed, serverRenewed: problem !== undefined, reasons };
  }

  async #readPair(certFile: string, keyFile: string): Promise<CertAndKey | undefined> {
    const certPem = await readIfPresent(join(this.#dir, certFile));
    const keyPem = await readIfPresent(join(this.#dir, keyFile));
    return certPem === undefined || keyPem === undefined ? undefined : { certPem, keyPem };
  }

  async #writePair(pair: CertAndKey, certFile: string, keyFile: string): Promise<void> {
    // Key first: a crash between the writes leaves a mismatched pair, which ensure() repairs.
    await writeFileAtomic(join(this.#dir, keyFile), pair.keyPem, 0o600);
    await writeFileAtomic(join(this.#dir, certFile), pair.certPem, 0o644);
  }
}

/** The SAN set of the hub server certificate for `hostname`. */
export function hubNames(hostname: string): { dns: string[]; ip: string[] } {
  const host = hostname.trim().toLowerCase();
  const dns = new Set<string>(["localhost"]);
  const ip = new Set<string>(["127.0.0.1", "::1"]);
  if (isIP(host)) ip.add(canonicalIp(host) ?? host);
  else dns.add(host);
  return { dns: [...dns], ip: [...ip] };
}

/** Why the stored edge CA must be replaced, or undefined when it can be kept. */
function caProblem(
  stored: CertAndKey | undefined,
  commonName: string,
  now: Date,
  threshold: number,
): string | undefined {
  if (stored === undefined) return "edge CA missing";
  const broken = pairProblem(stored);
  if (broken) return broken;
  const [der] = pemBlocks(stored.certPem);
  if (Buffer.compare(inspectCertificate(der).subjectNameDer, nameDer(commonName)) !== 0) {
    return "edge CA subject changed (device id)";
  }
  if (needsRenewal(stored.certPem, now, threshold)) return "edge CA reached renewal threshold";
  return undefined;
}

/** Why the stored hub server certificate must be re-issued, or undefined when it can be kept. */
function serverProblem(
  stored: CertAndKey | undefined,
  caPem: string,
  names: { dns: string[]; ip: string[] },
  now: Date,
  threshold: number,
): string | undefined {
  if (stored === undefined) return "server certificate missing";
  const broken = pairProblem(stored);
  if (broken) return broken;
  if (!issuedBy(stored.certPem, caPem)) {
    return "server certificate not issued by the current edge CA";
  }
  if (!sameNames(stored.certPem, names)) return "hostname set changed";
  if (needsRenewal(stored.certPem, now, threshold)) {
    return "server certificate reached renewal threshold";
  }
  return undefined;
}

/** Why a stored cert/key pair is unusable, or undefined when it parses and matches. */
function pairProblem(pair: CertAndKey): string | undefined {
  try {
    const cert = new X509Certificate(pair.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return "key does not match cert";
    return undefined;
  } catch (err) {
    return `unreadable certificate or key (${(err as Error).message})`;
  }
}

function issuedBy(certPem: string, caPem: string): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

function sameNames(certPem: string, wanted: { dns: string[]; ip: string[] }): boolean {
  const [der] = pemBlocks(certPem);
  const have = new Set(
    inspectCertificate(der).altNames.map((n) =>
      n.kind === "ip" ? `ip:${canonicalIp(n.value)}` : `${n.kind}:${n.value.toLowerCase()}`
    ),
  );
  const want = new Set([
    ...wanted.dns.map((d) => `dns:${d}`),
    ...wanted.ip.map((i) => `ip:${canonicalIp(i)}`),
  ]);
  return have.size === want.size && [...want].every((w) => have.has(w));
}
