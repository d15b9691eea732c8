/** Table-driven vectors for workload API routing, api-version handling and body decoding. */
import assert from "node:assert/strict";
import { routeRequest, WorkloadError, type WorkloadRoute } from "../../../src/api/workload/mod.ts";
import {
  decodeBase64Field,
  decodeBody,
  decodeOptionalBody,
  signRequestSchema,
} from "../../../src/api/workload/bodies.ts";

const V = "api-version=2018-06-28";

Deno.test("routes: paths, methods and decoded segments", () => {
  const cases: [string, string, WorkloadRoute][] = [
    ["GET", `/modules?${V}`, { kind: "listModules" }],
    ["GET", `/modules/?${V}`, { kind: "listModules" }],
    ["POST", `/modules/filter/genid/123/sign?${V}`, { kind: "sign", name: "filter", genid: "123" }],
    ["POST", `/modules/%24edgeHub/genid/g%2B1/sign?${V}`, {
      kind: "sign",
      name: "edgeHub",
      genid: "g+1",
    }],
    ["POST", `/modules/$edgeAgent/genid/1/encrypt?${V}`, {
      kind: "encrypt",
      name: "edgeAgent",
      genid: "1",
    }],
    ["POST", `/modules/m/genid/1/decrypt?${V}`, { kind: "decrypt", name: "m", genid: "1" }],
    ["POST", `/modules/m/certificate/identity?${V}`, { kind: "identityCert", name: "m" }],
    ["POST", `/modules/m/genid/7/certificate/server?${V}`, {
      kind: "serverCert",
      name: "m",
      genid: "7",
    }],
    ["GET", `/trust-bundle?${V}`, { kind: "trustBundle" }],
    ["GET", `/manifest-trust-bundle?api-version=2022-08-03`, { kind: "manifestTrustBundle" }],
  ];
  for (const [method, url, want] of cases) {
    assert.deepEqual(routeRequest(method, url).route, want, `${method} ${url}`);
  }
});

Deno.test("routes: every listed api-version is accepted", () => {
  for (
    const v of [
      "2018-06-28",
      "2019-01-30",
      "2019-10-22",
      "2019-11-05",
      "2020-07-07",
      "2021-12-07",
      "2022-08-03",
    ]
  ) {
    assert.equal(routeRequest("GET", `/trust-bundle?api-version=${v}`).apiVersion, v);
  }
});

Deno.test("routes: errors carry the spec'd status and message", () => {
  const cases: [string, string, number, string][] = [
    ["GET", "/trust-bundle", 400, "api-version not specified"],
    ["GET", "/nope", 400, "api-version not specified"], // api-version is checked before routing
    ["GET", "/trust-bundle?api-version=2017-01-01", 400, 'invalid api-version "2017-01-01"'],
    ["GET", "/trust-bundle?api-version=", 400, 'invalid api-version ""'],
    ["GET", `/nope?${V}`, 404, "not found"],
    ["GET", `/modules/m/genid/1/sign/extra?${V}`, 404, "not found"],
    ["POST", `/modules/m/genid/%E0%A4%A/sign?${V}`, 404, "not found"],
    ["POST", `/modules/a%2Fb/genid/1/sign?${V}`, 404, "not found"],
    ["GET", `/modules/m/genid/1/sign?${V}`, 400, "method not allowed"],
    ["POST", `/trust-bundle?${V}`, 400, "method not allowed"],
    ["DELETE", `/modules?${V}`, 400, "method not allowed"],
  ];
  for (const [method, url, status, message] of cases) {
    assert.throws(
      () => routeRequest(method, url),
      (e: unknown) => e instanceof WorkloadError && e.status === status && e.message === message,
      `${method} ${url}`,
    );
  }
});

const enc = (s: string) => new TextEncoder().encode(s);
const failsWith = (fn: () => unknown, status: number, text: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof WorkloadError && e.status === status && text.test(e.message),
  );

Deno.test("bodies: JSON, content type, missing body and field errors", () => {
  const ok = decodeBody(
    enc('{"keyId":"primary","algo":"HMACSHA256","data":"YQ=="}'),
    undefined,
    signRequestSchema,
    "m",
  );
  assert.deepEqual(ok, { keyId: "primary", algo: "HMACSHA256", data: "YQ==" });
  assert.ok(
    decodeBody(enc('{"data":""}'), "application/json; charset=utf-8", signRequestSchema, "m"),
  );
  failsWith(
    () => decodeBody(enc(""), undefined, signRequestSchema, "missing parameter: request body"),
    400,
    /^missing parameter: request body$/,
  );
  assert.equal(decodeOptionalBody(enc(""), undefined, signRequestSchema), undefined);
  failsWith(() => decodeBody(enc("{"), undefined, signRequestSchema, "m"), 422, /invalid JSON/);
  failsWith(
    () => decodeBody(enc('{"data":"x"}'), "text/plain", signRequestSchema, "m"),
    415,
    /^request body must be application\/json$/,
  );
  failsWith(
    () => decodeBody(enc('{"keyId":"primary"}'), undefined, signRequestSchema, "m"),
    422,
    /^data: /,
  );
  failsWith(
    () => decodeBody(enc('{"data":5}'), undefined, signRequestSchema, "m"),
    422,
    /^data: .*string/,
  );
  failsWith(() => decodeBody(enc("[]"), undefined, signRequestSchema, "m"), 422, /^request body: /);
  failsWith(
    () => decodeBody(Uint8Array.of(0xff, 0xfe), undefined, signRequestSchema, "m"),
    422,
    /invalid JSON/,
  );
});

Deno.test("bodies: strict base64", () => {
  for (const good of ["", "YQ==", "YWI=", "YWJj", "+/+/"]) {
    assert.ok(decodeBase64Field("data", good));
  }
  const bad: [string, RegExp][] = [
    ["YQ", /invalid length or padding/],
    ["YQ=", /invalid length or padding/],
    ["Y!==", /invalid byte "!" at offset 1/],
    ["-_-_", /invalid byte "-" at offset 0/],
    ["YQ== ", /invalid byte " " at offset 4/],
  ];
  for (const [value, why] of bad) {
    failsWith(
      () => decodeBase64Field("data", value),
      400,
      /^invalid parameter: data is not valid base64/,
    );
    failsWith(() => decodeBase64Field("data", value), 400, why);
  }
});
