import { z } from "zod";
import { allowedKeys, schemaAt } from "./schema_walk.ts";
import { formatPath } from "./path.ts";
import { assertEquals } from "./testdata/assert.ts";
import { loadFiles } from "./testdata/helpers.ts";

const kindOf = (s: unknown) =>
  (s as { _zod: { def: { type: string } } } | undefined)?._zod.def.type;

Deno.test("allowedKeys looks through wrappers, pipes, lazies and defaults", () => {
  const inner = z.strictObject({ a: z.number(), b: z.string() });
  const schema = z.strictObject({
    opt: inner.optional(),
    def: inner.default({ a: 1, b: "x" }),
    nul: inner.nullable(),
    piped: inner.transform((v) => v.a),
    pre: z.preprocess((v) => v, inner),
    lazy: z.lazy(() => inner),
    ro: inner.readonly(),
    caught: inner.catch({ a: 0, b: "" }),
  });
  for (const key of ["opt", "def", "nul", "piped", "pre", "lazy", "ro", "caught"]) {
    assertEquals(allowedKeys(schema, [key], {}), ["a", "b"], key);
  }
});

Deno.test("allowedKeys follows arrays, records, tuples, intersections and catch-alls", () => {
  const item = z.strictObject({ x: z.number() });
  const schema = z.strictObject({
    list: z.array(item),
    map: z.record(z.string(), item),
    pair: z.tuple([item, z.strictObject({ y: z.number() })], z.strictObject({ r: z.number() })),
    both: z.intersection(
      z.object({ a: z.number() }),
      z.object({ b: z.strictObject({ deep: z.number() }) }),
    ),
    loose: z.object({ k: z.number() }).catchall(item),
  });
  assertEquals(allowedKeys(schema, ["list", 3], {}), ["x"]);
  assertEquals(allowedKeys(schema, ["map", "anything"], {}), ["x"]);
  assertEquals(allowedKeys(schema, ["pair", 1], {}), ["y"]);
  assertEquals(allowedKeys(schema, ["pair", 5], {}), ["r"]);
  assertEquals(allowedKeys(schema, ["pair", "k"], {}), []);
  assertEquals(allowedKeys(schema, ["both"], {}), ["a", "b"]);
  assertEquals(allowedKeys(schema, ["both", "b"], {}), ["deep"]);
  assertEquals(allowedKeys(schema, ["loose", "other"], {}), ["x"]);
  assertEquals(allowedKeys(schema, ["nope", "deeper"], {}), []);
  assertEquals(allowedKeys(schema, ["list", 0, "x", "y"], {}), []);
});

Deno.test("allowedKeys picks union members by discriminator or by the data's shape", () => {
  const a = z.strictObject({ type: z.literal("a"), alpha: z.number() });
  const b = z.strictObject({ type: z.enum(["b", "bee"]), beta: z.number() });
  const schema = z.strictObject({
    d: z.discriminatedUnion("type", [a, b]),
    u: z.union([
      z.string(),
      z.array(z.number()),
      z.strictObject({ p: z.number() }),
      z.strictObject({ q: z.number(), r: z.number() }),
    ]),
  });
  assertEquals(allowedKeys(schema, ["d"], { d: { type: "bee" } }), ["type", "beta"]);
  assertEquals(allowedKeys(schema, ["d"], { d: { type: "a" } }), ["type", "alpha"]);
  assertEquals(allowedKeys(schema, ["d"], { d: { type: "zzz" } }), []);
  assertEquals(allowedKeys(schema, ["d"], { d: "flat" }), []);
  assertEquals(allowedKeys(schema, ["u"], { u: { r: 1 } }), ["q", "r"]);
  assertEquals(allowedKeys(schema, ["u"], { u: { zz: 1 } }), ["p"]);
  assertEquals(kindOf(schemaAt(schema, ["u"], { u: [1] })), "array");
  assertEquals(kindOf(schemaAt(schema, ["u"], { u: true })), undefined);
});

Deno.test("loadConfig suggests keys inside intersections and records of tables", async () => {
  const schema = z.strictObject({
    server: z.intersection(
      z.strictObject({ listen: z.string() }),
      z.strictObject({ token: z.string().optional() }).partial(),
    ),
    exporters: z.record(z.string(), z.strictObject({ endpoint: z.string() })),
  });
  const r = await loadFiles({
    "a.toml": '[server]\nlisten = "x"\n[exporters.otlp]\nendpont = "http://h"\n',
  }, { schema });
  assertEquals(r.messages, [
    'a.toml:4:1: exporters.otlp.endpont: unknown key "endpont" (did you mean "endpoint"?)',
  ]);
});

Deno.test("formatPath quotes keys that are not bare", () => {
  assertEquals(
    formatPath(["custom_metrics", "sources", 0, "interval"]),
    "custom_metrics.sources[0].interval",
  );
  assertEquals(formatPath(["headers", "X.Key", "a b"]), 'headers."X.Key"."a b"');
  assertEquals(formatPath([0, "a"]), "[0].a");
  assertEquals(formatPath([]), "");
});
