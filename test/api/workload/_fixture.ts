/** Shared fixture for the workload API tests: a Pki, a WorkloadApi on temp sockets, an HTTP client. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pki } from "../../../src/identity/pki/mod.ts";
import {
  type ModuleKey,
  WorkloadApi,
  type WorkloadDeps,
  type WorkloadServerTuning,
} from "../../../src/api/workload/mod.ts";

export const HUB = "myhub.azure-devices.net";
export const DEVICE = "dev1";
export const KEYS: Record<string, ModuleKey> = {
  filterModule: {
    primaryKey: randomBytes(32).toString("base64"),
    generationId: "637000000000000001",
  },
  $edgeHub: { primaryKey: randomBytes(32).toString("base64"), generationId: "637000000000000002" },
};

export interface Fixture {
  dir: string;
  api: WorkloadApi;
  pki: Pki;
  deps: WorkloadDeps;
}

/** Runs `fn` with a fresh Pki + WorkloadApi under a temp dir; closes sockets and removes the dir. */
export async function withApi(
  fn: (f: Fixture) => Promise<void>,
  tuning: WorkloadServerTuning = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-wl-"));
  const pki = new Pki(join(dir, "pki"));
  await pki.ensure({ hostname: "edge1", deviceId: DEVICE });
  const deps: WorkloadDeps = {
    keys: { moduleKey: (id) => Promise.resolve(KEYS[id]) },
    pki,
    device: { hubHostname: HUB, deviceId: DEVICE },
    encryptionKey: randomBytes(32),
    leafKeyType: "ec-p256", // RSA keygen is slow; one test uses the RSA default
  };
  const api = new WorkloadApi(join(dir, "mnt"), deps, tuning);
  try {
    await fn({ dir, api, pki, deps });
  } finally {
    await api.closeAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A parsed JSON reply. */
export interface Reply {
  status: number;
  contentType?: string;
  json: Record<string, unknown>;
}

/** One HTTP/1.1 request over the unix socket (JSON content type when a body is given). */
export function call(
  socketPath: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = body === undefined
    ? {}
    : { "Content-Type": "application/json" },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers, host: "workload" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers["content-type"],
          json: JSON.parse(text),
        }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export const V = "api-version=2018-06-28";
export const b64 = (s: string) => Buffer.from(s).toString("base64");
export const signBody = (data: string) =>
  JSON.stringify({ keyId: "primary", algo: "HMACSHA256", data });
