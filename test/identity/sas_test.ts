/**
 * SAS tokens (`shared/spec/iothub-mqtt.md` §3): tokens built here are byte-identical to the
 * official SDK's, SDK-made tokens validate, and every refusal (wrong key, expiry beyond the
 * 300 s skew, other identity, device token for a module, wrong host, skn, malformed) names
 * its reason.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { SharedAccessSignature } from "azure-iot-common";
import {
  buildSasToken,
  encodeUriComponentStrict,
  hmacBase64,
  MAX_CLOCK_SKEW_SECS,
  parseSasToken,
  resourceUri,
  SasError,
  type SasExpectation,
  validateSasToken,
} from "../../src/identity/mod.ts";

const HOST = "myhub.azure-devices.net";
const GATEWAY = "edge.local";
const KEY1 = Buffer.alloc(32, 1).toString("base64");
const KEY2 = Buffer.alloc(32, 2).toString("base64");
const OTHER = Buffer.alloc(32, 3).toString("base64");
const NOW = 1_800_000_000;

/** A token made by the official SDK, exactly as the device client makes it. */
function sdkToken(
  resource: string,
  key: string,
  expiry: number,
  keyName: string | null = null,
): string {
  // The SDK's typings say string, but its device client passes a missing key name (null).
  const skn = keyName as string;
  return SharedAccessSignature.create(encodeUriComponentStrict(resource), skn, key, expiry)
    .toString();
}

function expect(over: Partial<SasExpectation> = {}): SasExpectation {
  return { deviceId: "dev1", hosts: [HOST, GATEWAY], keys: [KEY1, KEY2], nowSecs: NOW, ...over };
}

function check(token: string, over: Partial<SasExpectation> = {}): number {
  return validateSasToken(parseSasToken(token), expect(over));
}

function refused(token: string, reason: RegExp, over: Partial<SasExpectation> = {}): void {
  assert.throws(
    () => check(token, over),
    (e) => e instanceof SasError && reason.test(e.message),
    `${token} should be refused with ${reason}`,
  );
}

Deno.test("buildSasToken is byte-identical to the SDK's SharedAccessSignature.create", () => {
  const resources = [
    resourceUri(HOST, "dev1"),
    resourceUri(HOST, "dev1", "mod1"),
    resourceUri(GATEWAY, "d.e-v_1:x@y=z", "$edgeHub"),
    resourceUri(HOST, "dev(1)!'*"),
  ];
  for (const r of resources) {
    for (const key of [KEY1, OTHER]) {
      assert.equal(buildSasToken(r, key, NOW + 3600), sdkToken(r, key, NOW + 3600), r);
    }
  }
});

Deno.test("encodeUriComponentStrict matches the SDK's, including !'()*", async () => {
  const sdk = (await import("azure-iot-common")).encodeUriComponentStrict;
  for (const s of ["a/b c", "!'()*", "dev*1", "é€", "a+b=c&d"]) {
    assert.equal(encodeUriComponentStrict(s), sdk(s), s);
  }
});

Deno.test("parseSasToken: fields in any order and case; sr kept raw; others decoded", () => {
  const t = parseSasToken(
    "SharedAccessSignature se=123&SIG=ab%2Bc%3D&Sr=h%2Fdevices%2Fd&skn=pol%20x",
  );
  assert.deepEqual(t, { rawSr: "h%2Fdevices%2Fd", sig: "ab+c=", se: "123", skn: "pol x" });
  // A raw `+` in sig stays a `+` (no form decoding).
  assert.equal(parseSasToken("SharedAccessSignature sr=x&sig=a+b&se=1").sig, "a+b");
  // Surrounding whitespace is tolerated; the first duplicate field wins.
  assert.equal(parseSasToken("  SharedAccessSignature sr=x&sig=s&se=1&se=2 ").se, "1");
  const sdk = parseSasToken(sdkToken(resourceUri(HOST, "dev1"), KEY1, NOW));
  assert.equal(sdk.rawSr, "myhub.azure-devices.net%2Fdevices%2Fdev1");
  assert.equal(sdk.se, String(NOW));
  assert.equal(sdk.skn, undefined);
});

Deno.test("parseSasToken: malformed tokens", () => {
  const vectors: Array<[string, RegExp]> = [
    ["", /not a SharedAccessSignature/],
    ["SharedAccessSignature", /not a SharedAccessSignature/],
    ["Bearer sr=x&sig=y&se=1", /not a SharedAccessSignature/],
    ["sharedaccesssignature sr=x&sig=y&se=1", /not a SharedAccessSignature/],
    ["SharedAccessSignature sr=x&sig=y &se=1", /not a SharedAccessSignature/],
    ["SharedAccessSignature sr=x&sig=y&se=1 extra", /not a SharedAccessSignature/],
    ["SharedAccessSignature sig=y&se=1", /no sr/],
    ["SharedAccessSignature sr=&sig=y&se=1", /no sr/],
    ["SharedAccessSignature sr=x&se=1", /no sig/],
    ["SharedAccessSignature sr=x&sig=y", /no se/],
    ["SharedAccessSignature sr=x&sig=y&se=1&junk", /malformed SAS token field 'junk'/],
    ["SharedAccessSignature sr=x&sig=y&se=1&=z", /malformed SAS token field/],
    ["SharedAccessSignature sr=x&&sig=y&se=1", /malformed SAS token field/],
    ["SharedAccessSignature sr=x&sig=%ZZ&se=1", /sig is not valid percent-encoding/],
    ["SharedAccessSignature sr=x&sig=y&se=%E2", /se is not valid percent-encoding/],
  ];
  for (const [token, reason] of vectors) {
    assert.throws(
      () => parseSasToken(token),
      (e) => e instanceof SasError && reason.test(e.message),
      JSON.stringify(token),
    );
  }
});

Deno.test("validate: SDK-made device and module tokens are accepted and return se", () => {
  assert.equal(check(sdkToken(resourceUri(HOST, "dev1"), KEY1, NOW + 3600)), NOW + 3600);
  assert.equal(
    check(sdkToken(resourceUri(HOST, "dev1", "mod1"), KEY1, NOW + 60), { moduleId: "mod1" }),
    NOW + 60,
  );
  // The gateway's own host name is also a valid audience; host and ids compare case-insensitively.
  check(sdkToken(resourceUri(GATEWAY, "dev1"), KEY1, NOW + 60));
  check(sdkToken(resourceUri("MyHub.Azure-Devices.NET", "DEV1"), KEY1, NOW + 60));
  // Ids with characters the SDK escapes.
  check(sdkToken(resourceUri(HOST, "dev(1)*"), KEY1, NOW + 60), { deviceId: "dev(1)*" });
});

Deno.test("validate: the secondary key is accepted; a wrong key is refused", () => {
  check(sdkToken(resourceUri(HOST, "dev1"), KEY2, NOW + 60));
  refused(sdkToken(resourceUri(HOST, "dev1"), OTHER, NOW + 60), /signature does not match/);
  refused(sdkToken(resourceUri(HOST, "dev1"), KEY2, NOW + 60), /signature does not match/, {
    keys: [KEY1],
  });
});

Deno.test("validate: expiry with the 300 s clock skew", () => {
  const at = (se: number) => sdkToken(resourceUri(HOST, "dev1"), KEY1, se);
  assert.equal(MAX_CLOCK_SKEW_SECS, 300);
  check(at(NOW)); // expires now
  check(at(NOW - 299)); // expired, within skew
  check(at(NOW - 300)); // exactly at the edge: se + 300 == now
  refused(at(NOW - 301), /expired/);
  refused(at(NOW - 86_400), /expired/);
});

Deno.test("validate: the signature covers sr exactly as sent (other encodings still verify)", () => {
  for (
    const rawSr of [
      "myhub.azure-devices.net%2fdevices%2fdev1",
      "myhub.azure-devices.net/devices/dev1",
    ]
  ) {
    const se = String(NOW + 60);
    const sig = encodeUriComponentStrict(hmacBase64(KEY1, `${rawSr}\n${se}`));
    check(`SharedAccessSignature sr=${rawSr}&sig=${sig}&se=${se}`);
    // The same signature over a differently encoded sr does not verify.
    refused(
      `SharedAccessSignature sr=${
        encodeUriComponentStrict(resourceUri(HOST, "dev1"))
      }&sig=${sig}&se=${se}`,
      /signature does not match/,
    );
  }
  // Tampering with se breaks the signature.
  const good = sdkToken(resourceUri(HOST, "dev1"), KEY1, NOW + 60);
  refused(good.replace(`se=${NOW + 60}`, `se=${NOW + 99_999}`), /signature does not match/);
});

Deno.test("validate: tokens for another identity, scope or host are refused", () => {
  const k = KEY1, se = NOW + 60;
  refused(sdkToken(resourceUri(HOST, "dev2"), k, se), /another device/);
  refused(sdkToken(resourceUri(HOST, "dev1", "mod2"), k, se), /another module/, {
    moduleId: "mod1",
  });
  refused(sdkToken(resourceUri(HOST, "dev2", "mod1"), k, se), /another device/, {
    moduleId: "mod1",
  });
  refused(
    sdkToken(resourceUri(HOST, "dev1"), k, se),
    /device-scoped SAS token presented for a module/,
    {
      moduleId: "mod1",
    },
  );
  refused(sdkToken(resourceUri(HOST, "dev1", "mod1"), k, se), /another module/);
  refused(sdkToken(resourceUri("evil.azure-devices.net", "dev1"), k, se), /for host 'evil/);
  for (
    const r of [
      HOST,
      `${HOST}/devices`,
      `${HOST}/modules/dev1`,
      `${HOST}/devices/dev1/x/m`,
      `${HOST}/devices/dev1/modules/m/x`,
    ]
  ) {
    refused(sdkToken(r, k, se), /not a device or module resource/);
  }
});

Deno.test("validate: tokens signed with a shared access policy (skn) are refused", () => {
  refused(
    sdkToken(resourceUri(HOST, "dev1"), KEY1, NOW + 60, "device"),
    /shared access policy \(skn\)/,
  );
});

Deno.test("validate: se must be a plain number", () => {
  for (const se of ["abc", "-1", "1e9", "1.5", " 1", "1234567890123"]) {
    refused(
      `SharedAccessSignature sr=${HOST}%2Fdevices%2Fdev1&sig=x&se=${encodeURIComponent(se)}`,
      /se is not a number/,
    );
  }
  refused(`SharedAccessSignature sr=%ZZ&sig=x&se=${NOW}`, /sr is not valid percent-encoding/);
});
