import { assertEquals } from "../../../tests/assert.ts";
import { type MappingRules, mapRows } from "./mapping.ts";

function rules(over: Partial<MappingRules> = {}): MappingRules {
  return {
    name: "q",
    label_columns: [],
    value_columns: [],
    static_attributes: {},
    on_null: "skip",
    max_series: 1000,
    ...over,
  };
}

Deno.test("mapRows takes the first column of the first row as a single value", () => {
  const m = mapRows(rules({ otel_type: "counter", unit: "1" }), {
    columns: ["count", "other"],
    rows: [["12", 5], ["99", 6]],
  });
  assertEquals(m.samples, [{ name: "q", value: 12, type: "counter", unit: "1" }]);
  assertEquals(m.problems, []);
});

Deno.test("mapRows maps label and value columns per row, with static attributes", () => {
  const m = mapRows(
    rules({
      label_columns: ["Region"],
      value_columns: ["orders", "revenue"],
      static_attributes: { env: "prod" },
    }),
    { columns: ["region", "orders", "revenue"], rows: [["eu", 3n, "10.50"], ["us", 4n, null]] },
  );
  assertEquals(m.samples, [
    { name: "q.orders", value: 3, attributes: { env: "prod", Region: "eu" } },
    { name: "q.revenue", value: 10.5, attributes: { env: "prod", Region: "eu" } },
    { name: "q.orders", value: 4, attributes: { env: "prod", Region: "us" } },
  ]);
  assertEquals(m.skipped, 1);
});

Deno.test("mapRows names metrics from a metric column and rejects bad names", () => {
  const m = mapRows(rules({ metric_column: "metric", label_columns: ["db"] }), {
    columns: ["metric", "db", "value"],
    rows: [["size_bytes", "a", 10], ["conns", "a", 2], ["bad name!", "a", 1]],
  });
  assertEquals(m.samples, [
    { name: "q.size_bytes", value: 10, attributes: { db: "a" } },
    { name: "q.conns", value: 2, attributes: { db: "a" } },
  ]);
  assertEquals(m.problems, ['column "metric": "bad name!" does not make a valid metric name']);
});

Deno.test("mapRows handles NULL, text and NaN per on_null", () => {
  const result = { columns: ["k", "v"], rows: [["a", null], ["b", "n/a"], ["c", NaN], ["d", 1]] };
  const skip = mapRows(rules({ label_columns: ["k"] }), result);
  assertEquals(skip.samples.map((s) => s.value), [1]);
  assertEquals([skip.skipped, skip.problems.length], [3, 0]);
  const zero = mapRows(rules({ label_columns: ["k"], on_null: "zero" }), result);
  assertEquals(zero.samples.map((s) => s.value), [0, 0, 0, 1]);
  const error = mapRows(rules({ label_columns: ["k"], on_null: "error" }), result);
  assertEquals(error.samples.map((s) => s.value), [1]);
  assertEquals(error.problems, [
    'column "v": expected a number, found NULL',
    'column "v": expected a number, found text "n/a"',
    'column "v": expected a number, found NaN',
  ]);
  // No row at all counts as NULL for a single value.
  assertEquals(
    mapRows(rules({ on_null: "error" }), { columns: ["n"], rows: [] }).problems,
    ['column "n": expected a number, found no row'],
  );
  assertEquals(mapRows(rules({ on_null: "zero" }), { columns: ["n"], rows: [] }).samples, [
    { name: "q", value: 0 },
  ]);
});

Deno.test("mapRows caps series per query and reports duplicates and missing columns", () => {
  const rows = Array.from({ length: 10 }, (_, i) => [`k${i}`, i]);
  const capped = mapRows(rules({ label_columns: ["k"], max_series: 3 }), {
    columns: ["k", "v"],
    rows,
  });
  assertEquals(capped.samples.length, 3);
  assertEquals(capped.problems, ["the result has more than max_series = 3 series; 7 dropped"]);
  const dup = mapRows(rules({ label_columns: ["k"] }), {
    columns: ["k", "v"],
    rows: [["a", 1], ["a", 2]],
  });
  assertEquals(dup.problems, [
    'column "v": two rows give the same series "q" {"k":"a"}; add a label column',
  ]);
  const missing = mapRows(rules({ label_columns: ["nope"], value_columns: ["v"] }), {
    columns: ["k", "v"],
    rows: [],
  });
  assertEquals(missing.problems, ['column "nope" is not in the result (columns: "k", "v")']);
  assertEquals(
    mapRows(rules({ label_columns: ["k"] }), { columns: ["k"], rows: [["a"]] }).problems,
    ["no column is left for the value: every column is a label"],
  );
  assertEquals(mapRows(rules(), { columns: [], rows: [] }).problems, [
    "the query returned no columns",
  ]);
});

Deno.test("mapRows notes precision loss per column and labels any value type", () => {
  const m = mapRows(rules({ label_columns: ["at", "blob", "n"] }), {
    columns: ["at", "blob", "n", "v"],
    rows: [[new Date(0), new Uint8Array(3), null, "12345678901234567890"]],
  });
  assertEquals(m.samples[0].attributes, {
    at: "1970-01-01T00:00:00.000Z",
    blob: "<3 bytes>",
    n: "",
  });
  assertEquals([...m.lossy], ["v"]);
});
