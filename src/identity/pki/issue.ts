/**
 * Issuing policy for ledge's certificates: a self-signed Edge CA, TLS server certificates (hub
 * listener, modules hosting TLS) and client certificates (module x509 identity). Keys are created
 * with node:crypto (EC P-256 by default, RSA-2048 on request); every certificate is X.509 v3 with
 * SKI/AKI and a 128-bit random serial. Leaf lifetimes never exceed their CA's notAfter.
 */
import {
  createPrivateKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from "node:crypto";
import { isIP } from "node:net";
import { type AltName, buildCertificate, KeyUsageBit, publicKeyOf, toPem } from "./_build.ts";
import { inspectCertificate, pemBlocks } from "./_inspect.ts";

/** A certificate and its private key, both PEM (key is PKCS#8 `PRIVATE KEY`). */
export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

/** Key algorithm for a newly generated key. */
export type KeyType = "ec-p256" | "rsa-2048";

const DAY_MS = 24 * 60 * 60 * 1000;

function newKey(type: KeyType): KeyObject {
  return type === "rsa-2048"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
    : generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
}

/**
 * Generates a private key off the event loop (RSA-2048 takes ~200 ms of CPU). Pass the result as
 * `key` to {@link createCa} / {@link issueServerCert} to keep a server responsive.
 */
export function generateKey(type: KeyType = "ec-p256"): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _pub: KeyObject, priv: KeyObject) =>
      err ? reject(err) : resolve(priv);
    if (type === "rsa-2048") generateKeyPair("rsa", { modulusLength: 2048 }, done);
    else generateKeyPair("ec", { namedCurve: "P-256" }, done);
  });
}

function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function checkDays(days: number): void {
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`days must be > 0, got ${days}`);
}

function checkCommonName(cn: string): void {
  // RFC 5280 ub-common-name = 64.
  if (cn.length === 0 || cn.length > 64) {
    throw new RangeError(`commonName must be 1..64 characters, got ${cn.length}`);
  }
}

/** Options for {@link createCa}. */
export interface CaOptions {
  commonName: string;
  /** Lifetime in days (default 90, the IoT Edge quickstart default). */
  days?: number;
  now?: Date;
  keyType?: KeyType;
  /** Use this private key instead of generating one (see {@link generateKey}). */
  key?: KeyObject;
}

/**
 * Creates a self-signed CA: basicConstraints CA:true (critical), keyUsage keyCertSign|cRLSign
 * (critical), SKI and AKI.
 */
export function createCa(options: CaOptions): CertAndKey {
  const days = options.days ?? 90;
  checkDays(days);
  checkCommonName(options.commonName);
  const notBefore = wholeSeconds(options.now ?? new Date());
  const key = options.key ?? newKey(options.keyType ?? "ec-p256");
  const der = buildCertificate({
    subjectCommonName: options.commonName,
    subjectPublicKey: publicKeyOf(key),
    signingKey: key,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    isCa: true,
    keyUsage: [KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign],
  });
  return { certPem: toPem("CERTIFICATE", der), keyPem: exportKey(key) };
}

/** Options for {@link issueServerCert} and {@link issueClientCert}. */
export interface LeafOptions {
  commonName: string;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** URI SANs (client certificates). */
  uris?: readonly string[];
  /** Lifetime in days (default 90); capped at the CA's notAfter. */
  days?: number;
  now?: Date;
  keyType?: KeyType;
  /** Use this private key instead of generating one (see {@link generateKey}). */
  key?: KeyObject;
}

/** Issues a TLS server certificate (EKU serverAuth, not a CA) signed by `ca`. */
export function issueServerCert(ca: CertAndKey, options: LeafOptions): CertAndKey {
  return issueLeaf(ca, options, "serverAuth");
}

/** Issues a TLS client certificate (EKU clientAuth, not a CA) signed by `ca`. */
export function issueClientCert(ca: CertAndKey, options: LeafOptions): CertAndKey {
  return issueLeaf(ca, options, "clientAuth");
}

function issueLeaf(
  ca: CertAndKey,
  options: LeafOptions,
  usage: "serverAuth" | "clientAuth",
): CertAndKey {
  const days = options.days ?? 90;
  checkDays(days);
  checkCommonName(options.commonName);
  const [caDer] = pemBlocks(ca.certPem);
  if (!caDer) throw new SyntaxError("ca.certPem: no CERTIFICATE block");
  const caFacts = inspectCertificate(caDer);
  const caNotAfter = certExpiry(ca.certPem);
  const caKey = createPrivateKey(ca.keyPem);
  const notBefore = wholeSeconds(options.now ?? new Date());
  const wanted = new Date(notBefore.getTime() + days * DAY_MS);
  const notAfter = wanted < caNotAfter ? wanted : caNotAfter;
  if (notAfter <= notBefore) throw new RangeError("CA has expired; cannot issue a certificate");

  const altNames: AltName[] = [];
  const seen = new Set<string>();
  const add = (name: AltName) => {
    const key = `${name.kind}:${name.value.toLowerCase()}`;
    if (!seen.has(key)) (seen.add(key), altNames.push(name));
  };
  for (const dns of options.dnsNames ?? []) {
    if (dns.length === 0) throw new RangeError("dnsNames: empty name");
    add({ kind: "dns", value: dns });
  }
  for (const ip of options.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new RangeError(`ipAddresses: "${ip}" is not an IP address`);
    add({ kind: "ip", value: ip });
  }
  for (const uri of options.uris ?? []) add({ kind: "uri", value: uri });

  const key = options.key ?? newKey(options.keyType ?? "ec-p256");
  const der = buildCertificate({
    subjectCommonName: options.commonName,
    issuerNameDer: caFacts.subjectNameDer,
    issuerKeyId: caFacts.subjectKeyId,
    subjectPublicKey: publicKeyOf(key),
    signingKey: caKey,
    notBefore,
    notAfter,
    isCa: false,
    keyUsage: key.asymmetricKeyType === "rsa"
      ? [KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment]
      : [KeyUsageBit.digitalSignature],
    extKeyUsage: [usage],
    altNames,
  });
  return { certPem: toPem("CERTIFICATE", der), keyPem: exportKey(key) };
}

function exportKey(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Parses OpenSSL's text time form used by X509Certificate ("Dec  6 04:16:18 2026 GMT"). */
export function parseOpensslTime(text: string): Date {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(text.trim());
  const month = m ? MONTHS.indexOf(m[1]) : -1;
  if (!m || month < 0) throw new SyntaxError(`unrecognised certificate time "${text}"`);
  return new Date(Date.UTC(+m[6], month, +m[2], +m[3], +m[4], +m[5]));
}

/** Validity window of the first certificate in `pem`. */
export function certValidity(pem: string): { notBefore: Date; notAfter: Date } {
  const cert = new X509Certificate(pem);
  return { notBefore: parseOpensslTime(cert.validFrom), notAfter: parseOpensslTime(cert.validTo) };
}

/** notAfter of the first certificate in `pem`. */
export function certExpiry(pem: string): Date {
  return certValidity(pem).notAfter;
}

/**
 * True when `threshold` (fraction, default 0.8) of the certificate's lifetime has elapsed at `now`,
 * or when it is not yet valid (clock moved back) or already expired.
 */
export function needsRenewal(pem: string, now: Date = new Date(), threshold = 0.8): boolean {
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`threshold must be in (0,1]`);
  const { notBefore, notAfter } = certValidity(pem);
  const t = now.getTime();
  if (t < notBefore.getTime() || t >= notAfter.getTime()) return true;
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return t - notBefore.getTime() >= lifetime * threshold;
}
