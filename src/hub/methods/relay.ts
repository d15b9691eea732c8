/**
 * Direct methods: the cloud side (`ledge invoke`) calls a method on a connected device or
 * module; the relay publishes the request to the client and resolves with its answer, or with
 * IoT Hub's error when the target is offline (404) or does not answer in time (504).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { MethodRelayPort, MethodResponder } from "../mqtt/mod.ts";

export interface MethodResult {
  status: number;
  payload: unknown;
}

/** IoT Hub's error for a method call that could not complete. */
export class MethodError extends Error {
  override name = "MethodError";
  constructor(readonly status: number, readonly errorCode: number, message: string) {
    super(message);
  }
}

interface Pending {
  identityKey: string;
  resolve(r: MethodResult): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The longest timeout IoT Hub allows for a direct method (seconds). */
export const MAX_METHOD_TIMEOUT_SECS = 300;

export class MethodRelay implements MethodRelayPort {
  private readonly responders = new Map<string, MethodResponder>();
  private readonly pending = new Map<string, Pending>();
  private nextRid = 1;

  register(identityKey: string, responder: MethodResponder): void {
    this.responders.set(identityKey, responder);
  }

  unregister(identityKey: string, responder: MethodResponder): void {
    if (this.responders.get(identityKey) === responder) this.responders.delete(identityKey);
  }

  /** Calls `method` on `identityKey` with a JSON payload; rejects with MethodError. */
  invoke(
    identityKey: string,
    method: string,
    payload: unknown,
    timeoutSecs = 30,
  ): Promise<MethodResult> {
    const responder = this.responders.get(identityKey);
    if (!responder) {
      return Promise.reject(
        new MethodError(
          404,
          404103,
          `device '${identityKey}' is not online (not subscribed to methods)`,
        ),
      );
    }
    if (!/^[^/#+?\s]{1,100}$/.test(method)) {
      return Promise.reject(new MethodError(400, 400027, `invalid method name '${method}'`));
    }
    const secs = Math.min(Math.max(timeoutSecs, 1), MAX_METHOD_TIMEOUT_SECS);
    const rid = (this.nextRid++).toString(16);
    return new Promise<MethodResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(
          new MethodError(504, 504101, `timed out after ${secs}s waiting for '${identityKey}'`),
        );
      }, secs * 1000);
      this.pending.set(rid, { identityKey, resolve, timer });
      responder.sendRequest(method, rid, Buffer.from(JSON.stringify(payload ?? null)));
    });
  }

  complete(identityKey: string, rid: string, status: number, payload: Uint8Array): void {
    const p = this.pending.get(rid);
    if (!p || p.identityKey !== identityKey) return; // late or foreign answer: ignore
    clearTimeout(p.timer);
    this.pending.delete(rid);
    const text = Buffer.from(payload).toString("utf8");
    let body: unknown = null;
    if (text.trim()) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    p.resolve({ status, payload: body });
  }
}
