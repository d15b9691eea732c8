/**
 * Identities: the registry of devices and modules, SAS tokens and connection strings.
 *
 * @module
 */
export {
  formatIdentityId,
  type Identity,
  type IdentityId,
  IdentityRegistry,
  parseIdentityId,
  RegistryError,
} from "./registry.ts";
export {
  buildSasToken,
  encodeUriComponentStrict,
  hmacBase64,
  MAX_CLOCK_SKEW_SECS,
  parseSasToken,
  resourceUri,
  SasError,
  type SasExpectation,
  type SasToken,
  validateSasToken,
} from "./sas.ts";
export {
  type ConnectionStringParts,
  formatConnectionString,
  parseConnectionString,
} from "./connection_string.ts";
