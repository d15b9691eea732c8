/**
 * The workload API against the real Azure IoT SDK for Node: the sign digest compared with node:crypto
 * and azure-iot-common's SharedAccessSignature, IotEdgeAuthenticationProvider (token + trust bundle)
 * and ModuleClient.fromEnvironment driven by IOTEDGE_* variables pointing at the unix socket.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { EventEmitter } from "node:events";
import { statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { encodeUriComponentStrict, SharedAccessSignature } from "azure-iot-common";
import { IotEdgeAuthenticationProvider, ModuleClient } from "azure-iot-device";
import { b64, call, DEVICE, HUB, KEYS, signBody, V, withApi } from "./_fixture.ts";

Deno.test("sign: digest equals node HMAC and azure-iot-common's SharedAccessSignature", async () => {
  await withApi(async ({ api }) => {
    const sock = await api.open("filterModule");
    assert.equal(sock, join(api.dir, "filterModule", "workload.sock"));
    assert.equal(statSync(sock).mode & 0o777, 0o666);
    const sr = encodeURIComponent(`${HUB}/devices/${DEVICE}/modules/filterModule`);
    const se = 1_900_000_000;
    const r = await call(
      sock,
      "POST",
      `/modules/filterModule/genid/637000000000000001/sign?${V}`,
      signBody(b64(`${sr}\n${se}`)),
    );
    assert.equal(r.status, 200);
    assert.equal(r.contentType, "application/json");
    const want = createHmac("sha256", Buffer.from(KEYS.filterModule.primaryKey, "base64"))
      .update(`${sr}\n${se}`).digest("base64");
    assert.deepEqual(r.json, { digest: want });
    const sas = SharedAccessSignature.create(
      encodeUriComponentStrict(`${HUB}/devices/${DEVICE}/modules/filterModule`), // create() expects sr encoded
      undefined as unknown as string, // no skn for module tokens
      KEYS.filterModule.primaryKey,
      se,
    );
    assert.equal(sas.sig, encodeURIComponent(r.json.digest as string));
  });
});

Deno.test("SDK IotEdgeAuthenticationProvider gets a valid token and the trust bundle", async () => {
  await withApi(async ({ api, pki }) => {
    const sock = await api.open("$edgeHub");
    const provider = new IotEdgeAuthenticationProvider({
      workloadUri: `unix://${sock}`,
      deviceId: DEVICE,
      moduleId: "$edgeHub",
      iothubHostName: HUB,
      authScheme: "sasToken",
      gatewayHostName: "edge1",
      generationId: KEYS.$edgeHub.generationId,
    });
    try {
      const ca = await new Promise<string>((resolve, reject) =>
        provider.getTrustBundle((err, bundle) => (err ? reject(err) : resolve(bundle as string)))
      );
      assert.equal(ca, pki.trustBundlePem);
      const creds = await provider.getDeviceCredentials();
      const token = creds.sharedAccessSignature as string;
      const parsed = SharedAccessSignature.parse(token);
      assert.equal(decodeURIComponent(parsed.sr), `${HUB}/devices/${DEVICE}/modules/$edgeHub`);
      const expected = SharedAccessSignature.create(
        encodeUriComponentStrict(`${HUB}/devices/${DEVICE}/modules/$edgeHub`), // create() expects sr encoded
        undefined as unknown as string,
        KEYS.$edgeHub.primaryKey,
        Number(parsed.se),
      );
      assert.equal(token, expected.toString());
      assert.equal(creds.gatewayHostName, "edge1");
    } finally {
      provider.stop();
    }
  });
});

/** Minimal transport: records what ModuleClient.fromEnvironment hands it. */
class RecordingTransport extends EventEmitter {
  static last?: RecordingTransport;
  ca?: string;
  constructor(readonly authProvider: IotEdgeAuthenticationProvider) {
    super();
    RecordingTransport.last = this;
  }
  setOptions(options: { ca?: string }, done?: (err?: Error) => void): void {
    this.ca = options.ca;
    done?.();
  }
}

Deno.test("SDK ModuleClient.fromEnvironment works against the socket via IOTEDGE_* env", async () => {
  await withApi(async ({ api, pki }) => {
    const sock = await api.open("filterModule");
    const env: Record<string, string> = {
      IOTEDGE_WORKLOADURI: `unix://${sock}`,
      IOTEDGE_DEVICEID: DEVICE,
      IOTEDGE_MODULEID: "filterModule",
      IOTEDGE_IOTHUBHOSTNAME: HUB,
      IOTEDGE_AUTHSCHEME: "sasToken",
      IOTEDGE_MODULEGENERATIONID: KEYS.filterModule.generationId,
      IOTEDGE_GATEWAYHOSTNAME: "edge1",
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      // deno-lint-ignore no-explicit-any -- the SDK types want a full Transport; ours records only
      const client = await ModuleClient.fromEnvironment(RecordingTransport as any);
      assert.ok(client);
      const transport = RecordingTransport.last!;
      assert.equal(transport.ca, pki.trustBundlePem);
      const creds = await transport.authProvider.getDeviceCredentials();
      transport.authProvider.stop();
      const sig = SharedAccessSignature.parse(creds.sharedAccessSignature as string);
      const expected = SharedAccessSignature.create(
        encodeUriComponentStrict(`${HUB}/devices/${DEVICE}/modules/filterModule`), // create() expects sr encoded
        undefined as unknown as string,
        KEYS.filterModule.primaryKey,
        Number(sig.se),
      );
      assert.equal(sig.sig, expected.sig);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
