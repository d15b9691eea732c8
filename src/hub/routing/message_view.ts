/**
 * The read-only view of one message that compiled conditions evaluate against: case-insensitive
 * property lookups (routing.md §3) and a body parsed as JSON at most once, shared by every route
 * evaluated for the same message.
 *
 * @module
 */

import { decodeText, type JsonObject, parseJsonObject, queryableBody } from "./body_query.ts";
import { messageSource } from "./source.ts";

/** What routing needs from a message. `HubMessage` satisfies it; `null` values model
 * properties that exist with a null value (possible on AMQP). */
export interface RouteMessage {
  body: Uint8Array;
  properties: Readonly<Record<string, string | null>>;
  systemProperties: Readonly<Record<string, string | null>>;
}

type Bag = Readonly<Record<string, string | null>>;

function lookup(bag: Bag, name: string, folded: Map<string, string | null> | undefined) {
  if (Object.hasOwn(bag, name)) return { value: bag[name], folded };
  let map = folded;
  if (map === undefined) {
    map = new Map();
    for (const [k, v] of Object.entries(bag)) {
      const key = k.toUpperCase();
      if (!map.has(key)) map.set(key, v);
    }
  }
  const key = name.toUpperCase();
  return { value: map.has(key) ? map.get(key) : undefined, folded: map };
}

/** Per-message evaluation context; create one per message, reuse it across routes. */
export class MessageView {
  #app: Map<string, string | null> | undefined;
  #sys: Map<string, string | null> | undefined;
  #body: JsonObject | undefined | null = null;
  #twinBody: JsonObject | undefined | null = null;
  #sourceUpper: string | undefined;

  constructor(readonly message: RouteMessage) {}

  /** Application property by case-insensitive name; undefined when absent. */
  app(name: string): string | null | undefined {
    const r = lookup(this.message.properties, name, this.#app);
    this.#app = r.folded;
    return r.value;
  }

  /** System property by case-insensitive name; undefined when absent. */
  sys(name: string): string | null | undefined {
    const r = lookup(this.message.systemProperties, name, this.#sys);
    this.#sys = r.folded;
    return r.value;
  }

  /** The message source string (§2.3), upper-cased for case-insensitive prefix tests. */
  sourceUpper(): string {
    return this.#sourceUpper ??= messageSource(this).toUpperCase();
  }

  /** The body as a JSON object if `$body` queries apply to this message (§4.6). */
  jsonBody(): JsonObject | undefined {
    if (this.#body === null) {
      this.#body = queryableBody(
        this.message.body,
        this.sys("contentType"),
        this.sys("contentEncoding"),
      );
    }
    return this.#body;
  }

  /**
   * The body of a twin change notification as JSON. ledge produces these itself, so the body
   * is read as UTF-8 unless contentEncoding names utf-16/utf-32.
   */
  twinBody(): JsonObject | undefined {
    if (this.#twinBody === null) {
      const enc = this.sys("contentEncoding");
      const text = decodeText(this.message.body, typeof enc === "string" ? enc : "utf-8") ??
        decodeText(this.message.body, "utf-8");
      this.#twinBody = text === undefined ? undefined : parseJsonObject(text);
    }
    return this.#twinBody;
  }
}
