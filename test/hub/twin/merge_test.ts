/**
 * Twin patch semantics (pure): JSON merge-patch vectors and the checks that refuse a patch.
 */
import assert from "node:assert/strict";
import {
  checkPatch,
  MAX_DEPTH,
  MAX_SECTION_BYTES,
  mergePatch,
  TwinPatchError,
  type TwinProps,
  withoutMetadata,
} from "../../../src/hub/twin/merge.ts";

Deno.test("mergePatch vectors", async (t) => {
  const cases: Array<[string, TwinProps, TwinProps, TwinProps]> = [
    ["empty patch keeps base", { a: 1 }, {}, { a: 1 }],
    ["adds a key", { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ["replaces a scalar", { a: 1 }, { a: "x" }, { a: "x" }],
    ["null deletes", { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ["null on a missing key is a no-op", { a: 1 }, { z: null }, { a: 1 }],
    ["nested merge", { o: { x: 1, y: 2 } }, { o: { y: 3, z: 4 } }, { o: { x: 1, y: 3, z: 4 } }],
    ["nested null deletes", { o: { x: 1, y: 2 } }, { o: { x: null } }, { o: { y: 2 } }],
    ["deep merge", { a: { b: { c: 1, d: 2 } } }, { a: { b: { d: null, e: 3 } } }, {
      a: { b: { c: 1, e: 3 } },
    }],
    ["arrays replace", { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    ["array replaces object", { o: { x: 1 } }, { o: [1] }, { o: [1] }],
    ["object replaces scalar", { o: 5 }, { o: { x: 1 } }, { o: { x: 1 } }],
    ["scalar replaces object", { o: { x: 1 } }, { o: 5 }, { o: 5 }],
    ["nulls inside a new object are dropped", {}, { o: { x: null, y: 1 } }, { o: { y: 1 } }],
    ["false and 0 are values, not deletes", { a: 1, b: 1 }, { a: false, b: 0 }, {
      a: false,
      b: 0,
    }],
    ["empty object stays", { a: 1 }, { o: {} }, { a: 1, o: {} }],
  ];
  for (const [name, base, patch, want] of cases) {
    await t.step(name, () => {
      const before = structuredClone(base);
      assert.deepEqual(mergePatch(base, patch), want);
      assert.deepEqual(base, before, "base is not mutated");
    });
  }
});

function nest(levels: number): TwinProps {
  let v: TwinProps = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { n: v };
  return v;
}

Deno.test("checkPatch accepts well-formed patches", async (t) => {
  const cases: Array<[string, unknown]> = [
    ["empty", {}],
    ["scalars and arrays", { a: 1, b: "s", c: true, d: null, e: [1, { x: 2 }] }],
    [`depth ${MAX_DEPTH}`, nest(MAX_DEPTH)],
    ["key of 128 chars", { ["k".repeat(128)]: 1 }],
    ["keys with $ or . inside arrays are not keys", { a: [{ "$x.y": 1 }] }],
    ["just under the size limit", { s: "x".repeat(MAX_SECTION_BYTES - 10) }],
    ["a $ later in a key", { "a$b": 1 }],
  ];
  for (const [name, patch] of cases) {
    await t.step(name, () => assert.equal(checkPatch(patch, "patch"), patch));
  }
});

Deno.test("checkPatch refusals name the problem", async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["not an object: array", [1], /^desired must be a JSON object$/],
    ["not an object: null", null, /must be a JSON object/],
    ["not an object: string", "x", /must be a JSON object/],
    ["$ key", { $version: 3 }, /key '\$version' may not start with \$/],
    ["nested $ key", { a: { $b: 1 } }, /key 'a\.\$b' may not start with \$/],
    ["dot in key", { "a.b": 1 }, /key 'a\.b' .*contain \./],
    ["space in key", { "a b": 1 }, /key 'a b'/],
    ["key too long", { ["k".repeat(129)]: 1 }, /too long/],
    [`depth ${MAX_DEPTH + 1}`, nest(MAX_DEPTH + 1), /nested deeper than 10/],
    ["too large", { s: "x".repeat(MAX_SECTION_BYTES) }, /larger than 32768 bytes/],
  ];
  for (const [name, patch, want] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => checkPatch(patch, "desired"),
        (e: Error) =>
          e instanceof TwinPatchError && want.test(e.message) &&
          e.message.startsWith("desired"),
      );
    });
  }
});

Deno.test("withoutMetadata drops top-level $ keys only", () => {
  assert.deepEqual(withoutMetadata({ $version: 4, $metadata: {}, a: { $b: 1 }, c: 2 }), {
    a: { $b: 1 },
    c: 2,
  });
});
