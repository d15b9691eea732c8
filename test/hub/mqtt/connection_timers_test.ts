/**
 * A connection lives for months: its keep-alive check, which reschedules itself every half
 * period, must not accumulate timer handles (it once kept every one it ever made).
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { Connection } from "../../../src/hub/mqtt/connection.ts";
import type { HubServices } from "../../../src/hub/mqtt/services.ts";

const HANDLE = Symbol("fake timer handle");

/** Timer handles the connection keeps: its fields, and arrays/maps in its fields. */
function retainedHandles(conn: object): number {
  const isHandle = (v: unknown) => typeof v === "object" && v !== null && HANDLE in v;
  let n = 0;
  for (const v of Object.values(conn)) {
    if (isHandle(v)) n++;
    else if (Array.isArray(v)) n += v.filter(isHandle).length;
    else if (v instanceof Map) n += [...v.values()].filter(isHandle).length;
  }
  return n;
}

/** Replaces the global timer functions with a virtual clock; counts live handles. */
function fakeTimers() {
  const live = new Map<number, { due: number; fn: () => void }>();
  let next = 1, now = 0;
  const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const g = globalThis as unknown as Record<string, unknown>;
  g.setTimeout = (fn: () => void, ms = 0) => {
    const id = next++;
    live.set(id, { due: now + ms, fn });
    return { id, [HANDLE]: true, unref() {}, ref() {} };
  };
  g.clearTimeout = (h?: { id: number }) => h && live.delete(h.id);
  return {
    live: () => live.size,
    /** Moves the clock on by `ms`, firing what falls due (not what those schedule). */
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...live]) {
        if (t.due > now) continue;
        live.delete(id);
        t.fn();
      }
    },
    restore() {
      g.setTimeout = real.setTimeout;
      g.clearTimeout = real.clearTimeout;
    },
  };
}

function fakeSocket(): Socket {
  const s = new EventEmitter() as unknown as Socket & Record<string, unknown>;
  Object.assign(s, {
    remoteAddress: "127.0.0.1",
    remotePort: 1,
    destroyed: false,
    setNoDelay() {},
    write: () => true,
    end() {},
    destroy() {},
    pause() {},
    resume() {},
  });
  return s;
}

const log = { child: () => log, debug() {}, info() {}, warn() {}, error() {} };

Deno.test("keep-alive checks do not accumulate timer handles over many periods", () => {
  const timers = fakeTimers();
  try {
    const services = {
      log,
      limits: { maxMessageBytes: 256 * 1024, connectTimeoutMs: 10_000 },
    } as unknown as HubServices;
    const conn = new Connection(fakeSocket(), services);
    conn.state = "connected";
    conn.startKeepAlive(60);
    conn.expireAt(30 * 24 * 3600_000); // the token outlives the test
    for (let i = 0; i < 1000; i++) { // 1,000 half periods = 8 h 20 min
      // Activity within the period keeps the connection open; each check schedules the next.
      (conn as unknown as { lastActivity: number }).lastActivity = Date.now();
      timers.advance(30_000);
      // The keep-alive check and the token expiry; the CONNECT timeout has fired by now.
      assert.equal(timers.live(), 2, `after ${i + 1} checks ${timers.live()} timers are live`);
    }
    const kept = retainedHandles(conn);
    assert.ok(kept <= 3, `the connection keeps ${kept} timer handles after 1,000 checks`);
    assert.equal(conn.state, "connected");
  } finally {
    timers.restore();
  }
});
