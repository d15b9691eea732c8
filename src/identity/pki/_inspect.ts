/**
 * Reads the few certificate fields node:crypto's X509Certificate does not expose in raw form: the
 * subject Name DER (needed byte-for-byte as the issuer of certificates we sign), the subject key
 * identifier (for the authority key identifier of issued certificates) and the SAN entries as typed
 * values (to detect a changed hostname set). Also PEM splitting helpers.
 */
import { isIP } from "node:net";
import { children, decodeOid, type DerNode, readNode } from "./_der.ts";
import { type AltName, ipBytes } from "./_build.ts";

/** Fields of a certificate used by the issuing code. */
export interface CertificateFacts {
  subjectNameDer: Uint8Array;
  subjectKeyId?: Uint8Array;
  altNames: AltName[];
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** All PEM blocks with the given label, as DER, in file order. */
export function pemBlocks(text: string, label = "CERTIFICATE"): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    if (m[1] === label) out.push(new Uint8Array(Buffer.from(m[2].replace(/\s+/g, ""), "base64")));
  }
  return out;
}

/** Normalised PEM text of each CERTIFICATE block in `text` (drops anything between blocks). */
export function splitPemCertificates(text: string): string[] {
  return [...text.matchAll(PEM_RE)].filter((m) => m[1] === "CERTIFICATE").map((m) =>
    `-----BEGIN CERTIFICATE-----\n${
      m[2].replace(/\s+/g, "").match(/.{1,64}/g)?.join("\n") ?? ""
    }\n-----END CERTIFICATE-----\n`
  );
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join(".");
  if (bytes.length !== 16) return `invalid(${bytes.length} bytes)`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

function parseAltNames(value: Uint8Array): AltName[] {
  const out: AltName[] = [];
  for (const gn of children(readNode(value))) {
    const text = new TextDecoder().decode(gn.content);
    if (gn.tag === 0x82) out.push({ kind: "dns", value: text });
    else if (gn.tag === 0x86) out.push({ kind: "uri", value: text });
    else if (gn.tag === 0x87) out.push({ kind: "ip", value: ipText(gn.content) });
  }
  return out;
}

/** Parses a DER certificate; throws SyntaxError naming the part that is malformed. */
export function inspectCertificate(certDer: Uint8Array): CertificateFacts {
  const [tbs] = children(readNode(certDer));
  if (!tbs || tbs.tag !== 0x30) throw new SyntaxError("certificate: missing TBSCertificate");
  const fields = children(tbs);
  const start = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[start + 4];
  if (!subject || subject.tag !== 0x30) throw new SyntaxError("certificate: missing subject");
  const facts: CertificateFacts = { subjectNameDer: subject.encoded, altNames: [] };
  const extWrapper = fields.slice(start + 6).find((f: DerNode) => f.tag === 0xa3);
  if (!extWrapper) return facts;
  for (const ext of children(children(extWrapper)[0])) {
    const parts = children(ext);
    const id = decodeOid(parts[0].content);
    const value = parts[parts.length - 1].content;
    if (id === "2.5.29.14") facts.subjectKeyId = new Uint8Array(readNode(value).content);
    else if (id === "2.5.29.17") facts.altNames = parseAltNames(value);
  }
  return facts;
}

/** Canonical text of an IP address (e.g. "0:0::1" → "::1"), or undefined if not an IP. */
export function canonicalIp(text: string): string | undefined {
  return isIP(text) === 0 ? undefined : ipText(ipBytes(text));
}
