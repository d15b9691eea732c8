/**
 * Renders the MQTT hub benchmark result (bench/mqtt_hub.ts) as the markdown summary in
 * bench/results/mqtt_hub.md.
 *
 * @module
 */

/** One throughput measurement. */
export interface Row {
  fsync: string;
  transport: string;
  clients: number;
  msgPerSec: number;
  p50Ms: number;
  p99Ms: number;
  messages: number;
}

/** The result object bench/mqtt_hub.ts writes as JSON. */
export interface MqttHubResult {
  date: string;
  command: string;
  machine: {
    nproc: number;
    cpuModel: string;
    memTotalMiB: number;
    kernel: string;
    runtime: string;
    ledgeRevision: string;
    loopbackTcpRoundTripsPerSec: number;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
  };
  settings: {
    payloadBytes: number;
    windowPerClient: number;
    secondsPerRow: number;
    warmUp: string;
  };
  notes: string[];
  connect: {
    clients: number;
    concurrency: number;
    plainPerSec: number;
    plainSeconds: number;
    tlsPerSec: number;
    tlsSeconds: number;
  };
  throughput: Row[];
  memory: {
    idleRssMiB: number;
    idleConnections: number;
    idlePlainConnectionsRssMiB: number;
    idleConnectionsRssMiB: number;
    peakRssDuringLoadMiB: number;
    peakRssDuringLoadFsyncNeverMiB: number;
    hwmMiB: number;
  };
}

export function markdown(r: MqttHubResult): string {
  const rows = r.throughput.map((t) =>
    `| ${t.fsync} | ${t.transport} | ${t.clients} | ${t.msgPerSec} | ${t.p50Ms} | ${t.p99Ms} | ${t.messages} |`
  ).join("\n");
  const m = r.machine;
  return `# MQTT hub benchmark

${r.date} — rerun with \`${r.command}\` (from the repository root; ~2 min, loopback only).

Machine: ${m.nproc} × ${m.cpuModel}, ${m.memTotalMiB} MiB RAM, Linux ${m.kernel}, ${m.runtime},
ledge ${m.ledgeRevision}. Loopback TCP ping-pong baseline: ${m.loopbackTcpRoundTripsPerSec} round trips/s.
Load average (1/5/15 min) before: ${m.loadAverageBefore.join(" / ")}, after: ${
    m.loadAverageAfter.join(" / ")
  }.

${r.notes.map((n) => `- ${n}`).join("\n")}

## Connect rate (valid SAS, ${r.connect.clients} clients, ${r.connect.concurrency} at a time)

| transport | connects/s | total s |
|---|---|---|
| mqtt (plain) | ${r.connect.plainPerSec} | ${r.connect.plainSeconds} |
| mqtts (TLS) | ${r.connect.tlsPerSec} | ${r.connect.tlsSeconds} |

## QoS 1 telemetry

${r.settings.payloadBytes} B payload, up to ${r.settings.windowPerClient} unacknowledged per client,
${r.settings.secondsPerRow} s per row; warm-up: ${r.settings.warmUp}.

| store fsync | transport | clients | msg/s | PUBACK p50 ms | PUBACK p99 ms | messages |
|---|---|---|---|---|---|---|
${rows}

## Memory of the ledge process (VmRSS)

| state | MiB |
|---|---|
| idle, before load | ${r.memory.idleRssMiB} |
| ${r.memory.idleConnections} idle plain connections | ${r.memory.idlePlainConnectionsRssMiB} |
| ${r.memory.idleConnections} idle TLS connections (after the plain ones closed) | ${r.memory.idleConnectionsRssMiB} |
| peak during the throughput runs (fsync=always) | ${r.memory.peakRssDuringLoadMiB} |
| peak during the throughput runs (fsync=never) | ${r.memory.peakRssDuringLoadFsyncNeverMiB} |
| high-water mark (VmHWM), end of run 1 | ${r.memory.hwmMiB} |
`;
}
