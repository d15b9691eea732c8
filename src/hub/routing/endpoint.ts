/**
 * Route sinks (routing.md §2.4): `$upstream` and `BrokeredEndpoint("/modules/{m}/inputs/{i}")`,
 * the typed {@link Endpoint} they compile to and the stable key that identifies an endpoint
 * (two routes with the same sink share one endpoint, one queue set, one checkpoint).
 *
 * @module
 */

/** Where a routed message goes. */
export type Endpoint =
  | { kind: "upstream" }
  | { kind: "module-input"; moduleId: string; inputName: string };

/** The upstream (IoT Hub / parent) endpoint. */
export const UPSTREAM: Endpoint = { kind: "upstream" };

/**
 * Stable, case-sensitive identity of an endpoint: `$upstream` or `/modules/{m}/inputs/{i}`.
 */
export function endpointKey(e: Endpoint): string {
  return e.kind === "upstream" ? "$upstream" : `/modules/${e.moduleId}/inputs/${e.inputName}`;
}

/** Resolves a system sink such as `$upstream`; returns the error reason otherwise. */
export function systemEndpoint(name: string): Endpoint | string {
  return name.toLowerCase() === "$upstream"
    ? UPSTREAM
    : `System endpoint type '${name}' not supported.`;
}

/**
 * Resolves a function sink `name("arg")`. Only `BrokeredEndpoint` is supported; its argument
 * must have exactly 4 `/`-separated segments (segments 2 and 4 are module id and input name).
 */
export function functionEndpoint(name: string, arg: string): Endpoint | string {
  if (name.toLowerCase() !== "brokeredendpoint") {
    return `Function endpoint type '${name}' not supported.`;
  }
  let s = arg.trim();
  if (s.startsWith("/")) s = s.slice(1);
  if (s.endsWith("/")) s = s.slice(0, -1);
  const parts = s.split("/");
  if (parts.length !== 4 || parts[1] === "" || parts[3] === "") {
    return `Parameter string '${arg}' could not be parsed. ` +
      "Expect input in this format - /modules/{mid}/inputs/{input}";
  }
  return { kind: "module-input", moduleId: parts[1], inputName: parts[3] };
}
