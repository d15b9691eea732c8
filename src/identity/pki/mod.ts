/**
 * ledge's PKI: X.509 certificate creation without dependencies (own DER writer, node:crypto keys
 * and signatures), renewal checks, and the quickstart Edge CA + hub server certificate kept in the
 * data directory's `pki/` folder.
 */
export {
  type CaOptions,
  type CertAndKey,
  certExpiry,
  certValidity,
  createCa,
  generateKey,
  issueClientCert,
  issueServerCert,
  type KeyType,
  type LeafOptions,
  needsRenewal,
} from "./issue.ts";
export {
  type EnsureRequest,
  type EnsureResult,
  hubNames,
  Pki,
  PkiFiles,
  type PkiOptions,
} from "./pki.ts";
export { splitPemCertificates } from "./_inspect.ts";
