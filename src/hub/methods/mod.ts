/**
 * Direct-method relay.
 *
 * @module
 */
export { MAX_METHOD_TIMEOUT_SECS, MethodError, MethodRelay, type MethodResult } from "./relay.ts";
