/**
 * Client authentication for the hub's protocol heads.
 *
 * @module
 */
export { SasAuthenticator } from "./sas_authenticator.ts";
export { type ParsedUsername, parseUsername, UsernameError } from "./username.ts";
