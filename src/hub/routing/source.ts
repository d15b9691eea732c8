/**
 * Route sources (routing.md §2.3): normalising the `FROM` path, deriving the source string of a
 * message from its system properties, and the case-insensitive prefix test between them.
 *
 * @module
 */

import type { MessageView } from "./message_view.ts";

/** Normalised source of twin change notification routes. */
export const TWIN_CHANGE_SOURCE = "/twinChangeNotifications/";

/**
 * Normalises a route source: trim, drop trailing `*`s, drop trailing `/`s, append one `/`.
 * @example normalizeSource("/messages/*") === "/messages/"
 */
export function normalizeSource(path: string): string {
  let s = path.trim().replace(/\*+$/, "");
  if (s.length > 1) s = s.replace(/\/$/, "");
  return s.replace(/\/+$/, "") + "/";
}

/** True when a normalised route source selects twin change notifications only. */
export function isTwinChangeSource(normalized: string): boolean {
  return normalized.toUpperCase() === TWIN_CHANGE_SOURCE.toUpperCase();
}

/**
 * The source string of a message: `/twinChangeNotifications/`, `/messages/`,
 * `/messages/modules/{m}/` or `/messages/modules/{m}/outputs/{o}/`.
 */
export function messageSource(view: MessageView): string {
  const type = view.sys("messageType");
  if (typeof type === "string" && type.toLowerCase() === "twinchangenotification") {
    return TWIN_CHANGE_SOURCE;
  }
  const moduleId = view.sys("connectionModuleId");
  if (typeof moduleId !== "string" || moduleId === "") return "/messages/";
  const output = view.sys("outputName");
  return typeof output === "string" && output !== ""
    ? `/messages/modules/${moduleId}/outputs/${output}/`
    : `/messages/modules/${moduleId}/`;
}

/**
 * Whether a message with source string `source` is selected by route source `routeSource`
 * (both as produced above): a case-insensitive prefix test.
 * @example sourceMatches("/messages/modules/m/outputs/o/", "/messages/modules/M/") === true
 */
export function sourceMatches(source: string, routeSource: string): boolean {
  return source.toUpperCase().startsWith(normalizeSource(routeSource).toUpperCase());
}
