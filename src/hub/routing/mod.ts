/**
 * edgeHub route language for ledge: compile `FROM <source> [WHERE <condition>] INTO <sink>`
 * routes once into closure trees and match hub messages against a {@link RouteTable}.
 * See `shared/spec/routing.md`.
 *
 * @module
 */

export {
  compileCondition,
  type CompiledCondition,
  type CompiledRoute,
  compileRoute,
} from "./route.ts";
export {
  DEFAULT_PRIORITY,
  type EdgeHubRoutes,
  edgeHubRoutesSchema,
  edgeHubRoutesSchema10,
  type RouteMatch,
  routeObjectSchema,
  type RouteSpec,
  routeSpecsFrom,
  RouteTable,
  RouteTableError,
} from "./route_table.ts";
export { type Endpoint, endpointKey, UPSTREAM } from "./endpoint.ts";
export { type RouteErrorKind, RouteSyntaxError, type SourcePosition } from "./errors.ts";
export { MessageView, type RouteMessage } from "./message_view.ts";
export { messageSource, normalizeSource, sourceMatches, TWIN_CHANGE_SOURCE } from "./source.ts";
export type { Value } from "./values.ts";
