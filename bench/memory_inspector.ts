/**
 * The live V8 heap of a ledge started with `--inspect=127.0.0.1:PORT`: forces full garbage
 * collections over the Chrome DevTools Protocol, then reads Runtime.getHeapUsage, so the
 * figure is what is really retained rather than garbage waiting for the next GC. Loopback only.
 *
 * @module
 */

/** A CDP session on the first inspector target at 127.0.0.1:`port`. */
export class InspectorSession {
  private nextId = 0;
  private readonly waiting = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
      if (m.id !== undefined) {
        this.waiting.get(m.id)?.(m.result);
        this.waiting.delete(m.id);
      }
    };
  }

  /** Connects to the inspector on 127.0.0.1:`port`. */
  static async open(port: number): Promise<InspectorSession> {
    const res = await fetch(`http://127.0.0.1:${port}/json/list`);
    const targets = await res.json() as Array<{ webSocketDebuggerUrl: string }>;
    const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise((ok, fail) => {
      ws.onopen = ok;
      ws.onerror = fail;
    });
    return new InspectorSession(ws);
  }

  /** Sends one CDP command and resolves with its result. */
  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.nextId;
    return new Promise((ok) => {
      this.waiting.set(id, ok as (r: unknown) => void);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** V8 heap used and total MiB after two forced full GCs. */
  async heapAfterGc(): Promise<{ used: number; total: number }> {
    await this.send("HeapProfiler.collectGarbage");
    await this.send("HeapProfiler.collectGarbage");
    const h = await this.send<{ usedSize: number; totalSize: number }>("Runtime.getHeapUsage");
    const mib = (b: number) => Math.round(b / 2 ** 20 * 10) / 10;
    return { used: mib(h.usedSize), total: mib(h.totalSize) };
  }

  close(): void {
    this.ws.close();
  }
}
