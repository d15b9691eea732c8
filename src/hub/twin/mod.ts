/**
 * Twins: the local twin store and patch semantics.
 *
 * @module
 */
export { type DesiredPatch, type Twin, TwinStore } from "./store.ts";
export { twinChangeMessage } from "./change_notification.ts";
export { checkPatch, mergePatch, TwinPatchError, type TwinProps, type TwinValue } from "./merge.ts";
