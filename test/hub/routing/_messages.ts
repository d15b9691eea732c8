/**
 * Shared test messages: M1-M4 from routing.md §6 and the upstream ConditionCompilerTest message.
 *
 * @module
 */

import type { RouteMessage } from "../../../src/hub/routing/mod.ts";

/** Builds a message from plain maps; a string body is UTF-8 encoded. */
export function msg(
  systemProperties: Record<string, string | null>,
  properties: Record<string, string | null> = {},
  body: string | Uint8Array = "",
): RouteMessage {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return { body: bytes, properties, systemProperties };
}

const M1_BODY =
  '{"temperature":31.5,"machine":{"status":"running","temp":62},"tags":["a","b"],"name":"pump-7","ok":true,"nothing":null}';

/** M1: leaf device dev1, JSON body, alert/temperature/level app properties. */
export const M1 = msg(
  {
    connectionDeviceId: "dev1",
    contentType: "application/json",
    contentEncoding: "utf-8",
    messageId: "m-1",
  },
  { alert: "true", temperature: "31", level: "critical" },
  M1_BODY,
);

/** M2: module sensor on output temperatureOutput. */
export const M2 = msg(
  {
    connectionDeviceId: "edge1",
    connectionModuleId: "sensor",
    outputName: "temperatureOutput",
    contentType: "application/json",
    contentEncoding: "utf-8",
  },
  {},
  '{"machine":{"temperature":102.3},"ambient":{"temperature":21}}',
);

/** M3: module sensor, no output, no content type, body "hello". */
export const M3 = msg({ connectionDeviceId: "edge1", connectionModuleId: "sensor" }, {}, "hello");

/** M4: as M1 but contentType carries a charset parameter. */
export const M4 = msg(
  { ...M1.systemProperties, contentType: "application/json; charset=utf-8" },
  M1.properties,
  M1_BODY,
);

/** The message used by edgeHub's ConditionCompilerTest (condition-only vectors). */
export const UPSTREAM_TEST_MESSAGE = msg(
  { sys1: "sysvalue1", sys2: "4", sys3: "SYSVALUE3", sysnull: null, sys4: "sysvalue4" },
  { key1: "value1", key2: "3", key3: "VALUE3", null_value: null, $sys4: "value4" },
  "",
);
