/**
 * Builds and signs X.509 v3 certificates (RFC 5280) from a typed description, using the DER writer
 * in `_der.ts` and node:crypto for keys and signatures. This is the low-level layer; `issue.ts`
 * decides which extensions a CA, server or client certificate carries.
 */
import { createHash, createPublicKey, type KeyObject, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";
import * as der from "./_der.ts";
import { children, readNode } from "./_der.ts";

/** Well-known OIDs used below. */
const OID = {
  commonName: "2.5.4.3",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KeyUsageBit = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** A subject alternative name entry. */
export type AltName =
  | { kind: "dns"; value: string }
  | { kind: "ip"; value: string }
  | { kind: "uri"; value: string };

/** Everything needed to produce one signed certificate. */
export interface CertificateSpec {
  subjectCommonName: string;
  /** DER of the issuer Name, copied byte-for-byte from the issuer certificate; self-signed: omit. */
  issuerNameDer?: Uint8Array;
  /** Issuer's subject key identifier for the AKI extension; self-signed: omit (uses own SKI). */
  issuerKeyId?: Uint8Array;
  subjectPublicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  keyUsage: readonly number[];
  extKeyUsage?: readonly ("serverAuth" | "clientAuth")[];
  altNames?: readonly AltName[];
}

/** DER of a Name holding a single CN RDN. */
export function nameDer(commonName: string): Uint8Array {
  return der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8String(commonName))));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 over the subjectPublicKey BIT STRING value. */
export function keyIdentifier(publicKey: KeyObject): Uint8Array {
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const [, bits] = children(readNode(spki));
  return new Uint8Array(createHash("sha1").update(bits.content.subarray(1)).digest());
}

/** Network-order bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address. */
export function ipBytes(text: string): Uint8Array {
  const family = isIP(text);
  if (family === 4) return Uint8Array.from(text.split(".").map(Number));
  if (family !== 6) throw new TypeError(`not an IP address: "${text}"`);
  const groupsOf = (part: string): number[] => {
    if (part === "") return [];
    const groups = part.split(":");
    const last = groups[groups.length - 1];
    if (last.includes(".")) {
      // IPv4-embedded suffix, e.g. ::ffff:1.2.3.4
      const [a, b, c, d] = last.split(".").map(Number);
      groups.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
    }
    return groups.map((g) => parseInt(g, 16));
  };
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = groupsOf(head);
  const groups = tail === undefined
    ? h
    : [...h, ...new Array<number>(8 - h.length - groupsOf(tail).length).fill(0), ...groupsOf(tail)];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

function generalName(name: AltName): Uint8Array {
  const ascii = (s: string) => new TextEncoder().encode(s);
  switch (name.kind) {
    case "dns":
      return der.implicitPrimitive(2, ascii(name.value));
    case "uri":
      return der.implicitPrimitive(6, ascii(name.value));
    case "ip":
      return der.implicitPrimitive(7, ipBytes(name.value));
  }
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(id), der.octetString(value));
}

function signatureAlgorithm(key: KeyObject): Uint8Array {
  switch (key.asymmetricKeyType) {
    case "ec":
      return der.sequence(der.oid(OID.ecdsaWithSha256));
    case "rsa":
      return der.sequence(der.oid(OID.sha256WithRsa), der.nullValue());
    default:
      throw new TypeError(`unsupported signing key type ${key.asymmetricKeyType}`);
  }
}

/** Positive 128-bit random serial (top bit cleared, never zero-led to a shorter length). */
function serialNumber(): Uint8Array {
  const bytes = new Uint8Array(randomBytes(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return der.unsignedInteger(bytes);
}

/** Builds, signs and returns the certificate as DER. */
export function buildCertificate(spec: CertificateSpec): Uint8Array {
  const subject = nameDer(spec.subjectCommonName);
  const ownKeyId = keyIdentifier(spec.subjectPublicKey);
  const extensions: Uint8Array[] = [
    extension(
      OID.basicConstraints,
      true,
      spec.isCa ? der.sequence(der.boolean(true)) : der.sequence(),
    ),
    extension(OID.keyUsage, true, der.namedBits(spec.keyUsage)),
  ];
  if (spec.extKeyUsage && spec.extKeyUsage.length > 0) {
    extensions.push(
      extension(
        OID.extKeyUsage,
        false,
        der.sequence(...spec.extKeyUsage.map((u) => der.oid(OID[u]))),
      ),
    );
  }
  if (spec.altNames && spec.altNames.length > 0) {
    extensions.push(
      extension(OID.subjectAltName, false, der.sequence(...spec.altNames.map(generalName))),
    );
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octetString(ownKeyId)));
  const akid = spec.issuerKeyId ?? ownKeyId;
  extensions.push(
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, akid))),
  );

  const sigAlg = signatureAlgorithm(spec.signingKey);
  const spki = new Uint8Array(spec.subjectPublicKey.export({ type: "spki", format: "der" }));
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    serialNumber(),
    sigAlg,
    spec.issuerNameDer ?? subject,
    der.sequence(der.time(spec.notBefore), der.time(spec.notAfter)),
    subject,
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign("sha256", tbs, spec.signingKey);
  return der.sequence(tbs, sigAlg, der.bitString(new Uint8Array(signature)));
}

/** Wraps DER bytes as PEM with the given label. */
export function toPem(label: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Public key of a private key (helper kept here so callers need not import node:crypto). */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}
