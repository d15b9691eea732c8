/**
 * The CONNECT authenticator: username, client id, identity record and SAS token together,
 * and the CONNACK code each refusal maps to (`shared/spec/iothub-mqtt.md` §2.4: unparsable
 * username → 4, everything about the identity or token → 5).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { SharedAccessSignature } from "azure-iot-common";
import { SasAuthenticator } from "../../../src/hub/auth/mod.ts";
import {
  encodeUriComponentStrict,
  formatIdentityId,
  type Identity,
  type IdentityId,
  type IdentityRegistry,
  resourceUri,
} from "../../../src/identity/mod.ts";

const HUB = "myhub.azure-devices.net";
const GW = "localhost";
const NOW = 1_800_000_000;
const K1 = Buffer.alloc(32, 7).toString("base64");
const K2 = Buffer.alloc(32, 8).toString("base64");
const WRONG = Buffer.alloc(32, 9).toString("base64");

function record(id: IdentityId, status: "enabled" | "disabled" = "enabled"): Identity {
  return {
    ...id,
    id: formatIdentityId(id),
    primaryKey: K1,
    secondaryKey: K2,
    generationId: "g",
    managedBy: "test",
    status,
    createdAt: "2026-01-01T00:00:00Z",
  };
}

/** The registry surface the authenticator uses (get), backed by a map. */
function fakeRegistry(records: Identity[]): IdentityRegistry {
  const byId = new Map(records.map((r) => [r.id, r]));
  const fake = { get: (id: IdentityId) => Promise.resolve(byId.get(formatIdentityId(id))) };
  return fake as unknown as IdentityRegistry;
}

const auth = new SasAuthenticator(
  fakeRegistry([
    record({ deviceId: "dev1" }),
    record({ deviceId: "dev1", moduleId: "mod1" }),
    record({ deviceId: "dev2" }),
    record({ deviceId: "off" }, "disabled"),
  ]),
  [HUB, GW],
  () => NOW,
);

function sdkToken(resource: string, key: string, expiry: number): string {
  // The SDK's typings say string, but its device client passes a missing key name (null).
  const noKeyName = null as unknown as string;
  return SharedAccessSignature.create(encodeUriComponentStrict(resource), noKeyName, key, expiry)
    .toString();
}

const user = (id: string) => `${HUB}/${id}/?api-version=2021-04-12&DeviceClientType=test`;
const pw = (s: string) => Buffer.from(s);

Deno.test("SasAuthenticator: SDK tokens for devices and modules connect", async () => {
  const r1 = await auth.authenticate({
    clientId: "dev1",
    username: user("dev1"),
    password: pw(sdkToken(resourceUri(HUB, "dev1"), K1, NOW + 3600)),
  });
  assert.deepEqual(r1, { ok: true, identity: { deviceId: "dev1" }, expiresAtSecs: NOW + 3600 });
  const r2 = await auth.authenticate({
    clientId: "dev1/mod1",
    username: user("dev1/mod1"),
    password: pw(sdkToken(resourceUri(GW, "dev1", "mod1"), K2, NOW + 10)),
  });
  assert.deepEqual(r2, {
    ok: true,
    identity: { deviceId: "dev1", moduleId: "mod1" },
    expiresAtSecs: NOW + 10,
  });
});

Deno.test("SasAuthenticator: refusals and their CONNACK codes", async () => {
  const good = sdkToken(resourceUri(HUB, "dev1"), K1, NOW + 60);
  const cases: Array<{
    name: string;
    req: { clientId: string; username?: string; password?: Uint8Array };
    code: number;
    reason: RegExp;
  }> = [
    {
      name: "no username",
      req: { clientId: "dev1", password: pw(good) },
      code: 4,
      reason: /no username/,
    },
    {
      name: "unparsable username",
      req: { clientId: "dev1", username: "dev1", password: pw(good) },
      code: 4,
      reason: /no query part/,
    },
    {
      name: "username without api-version",
      req: { clientId: "dev1", username: `${HUB}/dev1/?x=1`, password: pw(good) },
      code: 4,
      reason: /api-version/,
    },
    {
      name: "client id does not match the username",
      req: { clientId: "dev2", username: user("dev1"), password: pw(good) },
      code: 5,
      reason: /client id does not match/,
    },
    {
      name: "module client id with a device username",
      req: { clientId: "dev1/mod1", username: user("dev1"), password: pw(good) },
      code: 5,
      reason: /client id does not match/,
    },
    {
      name: "no password",
      req: { clientId: "dev1", username: user("dev1") },
      code: 5,
      reason: /no SAS token/,
    },
    {
      name: "empty password",
      req: { clientId: "dev1", username: user("dev1"), password: new Uint8Array() },
      code: 5,
      reason: /no SAS token/,
    },
    {
      name: "unknown identity",
      req: {
        clientId: "ghost",
        username: user("ghost"),
        password: pw(sdkToken(resourceUri(HUB, "ghost"), K1, NOW + 60)),
      },
      code: 5,
      reason: /unknown identity 'ghost'/,
    },
    {
      name: "disabled identity",
      req: {
        clientId: "off",
        username: user("off"),
        password: pw(sdkToken(resourceUri(HUB, "off"), K1, NOW + 60)),
      },
      code: 5,
      reason: /disabled/,
    },
    {
      name: "wrong key",
      req: {
        clientId: "dev1",
        username: user("dev1"),
        password: pw(sdkToken(resourceUri(HUB, "dev1"), WRONG, NOW + 60)),
      },
      code: 5,
      reason: /signature does not match/,
    },
    {
      name: "expired beyond the skew",
      req: {
        clientId: "dev1",
        username: user("dev1"),
        password: pw(sdkToken(resourceUri(HUB, "dev1"), K1, NOW - 301)),
      },
      code: 5,
      reason: /expired/,
    },
    {
      name: "dev2's valid token presented as dev1",
      req: {
        clientId: "dev1",
        username: user("dev1"),
        password: pw(sdkToken(resourceUri(HUB, "dev2"), K1, NOW + 60)),
      },
      code: 5,
      reason: /another device/,
    },
    {
      name: "device token for a module",
      req: {
        clientId: "dev1/mod1",
        username: user("dev1/mod1"),
        password: pw(sdkToken(resourceUri(HUB, "dev1"), K1, NOW + 60)),
      },
      code: 5,
      reason: /device-scoped/,
    },
    {
      name: "wrong host",
      req: {
        clientId: "dev1",
        username: user("dev1"),
        password: pw(sdkToken(resourceUri("other.azure-devices.net", "dev1"), K1, NOW + 60)),
      },
      code: 5,
      reason: /for host/,
    },
    {
      name: "garbage password",
      req: { clientId: "dev1", username: user("dev1"), password: pw("hunter2") },
      code: 5,
      reason: /not a SharedAccessSignature/,
    },
    {
      name: "binary password",
      req: { clientId: "dev1", username: user("dev1"), password: Uint8Array.of(0xff, 0xfe, 0, 1) },
      code: 5,
      reason: /not a SharedAccessSignature/,
    },
  ];
  for (const c of cases) {
    const r = await auth.authenticate(c.req);
    assert.equal(r.ok, false, c.name);
    if (r.ok) continue;
    assert.equal(r.returnCode, c.code, `${c.name}: ${r.reason}`);
    assert.match(r.reason, c.reason, c.name);
  }
});

Deno.test("SasAuthenticator: within the skew is accepted", async () => {
  const r = await auth.authenticate({
    clientId: "dev1",
    username: user("dev1"),
    password: pw(sdkToken(resourceUri(HUB, "dev1"), K1, NOW - 200)),
  });
  assert.equal(r.ok, true);
});
