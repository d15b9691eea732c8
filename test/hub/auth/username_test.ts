/**
 * Unit vectors for MQTT username parsing (`shared/spec/iothub-mqtt.md` §2.2): device, module,
 * legacy form without `?`, what the Node and C SDKs send, and every way it can be wrong.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseUsername, UsernameError } from "../../../src/hub/auth/mod.ts";

const UA =
  "DeviceClientType=azure-iot-device%2F1.18.4%20(node%20v20.20.2%3B%20Debian%2012%3B%20x64)";

const good: Array<
  [
    string,
    { deviceId: string; moduleId?: string; apiVersion: string; params?: Record<string, string> },
  ]
> = [
  [`myhub.azure-devices.net/dev1/?api-version=2021-04-12&${UA}`, {
    deviceId: "dev1",
    apiVersion: "2021-04-12",
    params: { DeviceClientType: "azure-iot-device/1.18.4 (node v20.20.2; Debian 12; x64)" },
  }],
  [`myhub.azure-devices.net/dev1/mod1/?api-version=2021-04-12&${UA}`, {
    deviceId: "dev1",
    moduleId: "mod1",
    apiVersion: "2021-04-12",
  }],
  // Node with a model id: right after api-version, not URL-encoded.
  ["h/dev1/?api-version=2021-04-12&model-id=dtmi:com:example:Thermostat;1&DeviceClientType=x", {
    deviceId: "dev1",
    apiVersion: "2021-04-12",
    params: { "model-id": "dtmi:com:example:Thermostat;1", DeviceClientType: "x" },
  }],
  // C SDK.
  ["hub.azure-devices.net/dev1/m-1/?api-version=2020-09-30&DeviceClientType=iothubclient%2F1.0", {
    deviceId: "dev1",
    moduleId: "m-1",
    apiVersion: "2020-09-30",
  }],
  // Legacy form without `?`.
  ["hub/dev1/api-version=2016-11-14", { deviceId: "dev1", apiVersion: "2016-11-14" }],
  ["hub/dev1/mod1/api-version=2016-11-14&DeviceClientType=x", {
    deviceId: "dev1",
    moduleId: "mod1",
    apiVersion: "2016-11-14",
  }],
  // Any api-version value; first duplicate wins; unknown params kept; the host is ignored.
  ["whatever/dev1/?api-version=banana", { deviceId: "dev1", apiVersion: "banana" }],
  ["h/dev1/?api-version=a&api-version=b", { deviceId: "dev1", apiVersion: "a" }],
  ["h/dev1/?foo&api-version=1&bar=", {
    deviceId: "dev1",
    apiVersion: "1",
    params: { foo: "", bar: "" },
  }],
  ["/dev1/?api-version=1", { deviceId: "dev1", apiVersion: "1" }],
];

Deno.test("parseUsername: accepted forms", () => {
  for (const [username, want] of good) {
    const got = parseUsername(username);
    assert.equal(got.deviceId, want.deviceId, username);
    assert.equal(got.moduleId, want.moduleId, username);
    assert.equal(got.apiVersion, want.apiVersion, username);
    assert.equal(got.params.get("api-version"), want.apiVersion);
    for (const [k, v] of Object.entries(want.params ?? {})) {
      assert.equal(got.params.get(k), v, `${username}: param ${k}`);
    }
  }
});

const bad: Array<[string, RegExp]> = [
  ["hub/dev1/?DeviceClientType=x", /no api-version/],
  ["hub/dev1/?api-version=", /no api-version/],
  ["hub/dev1/?api-version&x=1", /no api-version/],
  ["hub/dev1/?", /no api-version/],
  ["hub/dev1", /no query part/],
  ["hub/dev1/", /no query part/],
  ["", /no query part/],
  ["dev1", /no query part/],
  ["?api-version=1", /must be host\/device/],
  ["hub/?api-version=1", /must be host\/device/],
  ["hub/a/b/c/?api-version=1", /must be host\/device/],
  ["hub//?api-version=1", /empty device id/],
  ["hub/dev1//?api-version=1", /empty module id/],
  ["hub/dev1/?api-version=1&x=%ZZ", /percent-encoding/],
];

Deno.test("parseUsername: refused forms name the reason", () => {
  for (const [username, reason] of bad) {
    assert.throws(
      () => parseUsername(username),
      (e) => e instanceof UsernameError && reason.test(e.message),
      JSON.stringify(username),
    );
  }
});
