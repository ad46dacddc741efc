import { assertEquals } from "../../tests/assert.ts";
import { CollectingAccumulator } from "./accumulator.ts";

const make = (max?: number) =>
  new CollectingAccumulator({
    source: "db",
    attributes: { env: "test" },
    defaultType: "gauge",
    now: () => 42,
    maxSamples: max,
    redact: (t) => t.replaceAll("hunter2", "***"),
  });

Deno.test("accumulator qualifies names and adds static attributes", () => {
  const acc = make();
  acc.add({ name: "active_users", value: 3, attributes: { region: "eu" } });
  acc.add({ name: "tx", value: 5, type: "counter", timestamp: 7, unit: "1", description: "tx" });
  assertEquals(acc.samples, [
    {
      name: "db.active_users",
      value: 3,
      type: "gauge",
      attributes: { env: "test", region: "eu" },
      timestamp: 42,
    },
    {
      name: "db.tx",
      value: 5,
      type: "counter",
      attributes: { env: "test" },
      timestamp: 7,
      unit: "1",
      description: "tx",
    },
  ]);
});

Deno.test("accumulator turns bad samples into per-item errors", () => {
  const acc = make();
  acc.add({ name: "ok", value: 1 });
  acc.add({ name: "nan", value: Number.NaN });
  acc.add({ name: "bad name", value: 1 });
  acc.add({ name: "attr", value: 1, attributes: { "bad-key": "x" } });
  acc.add({ name: "t", value: 1, type: "summary" as never });
  acc.add({ name: "big", value: 12n as unknown as number });
  acc.add(undefined as never);
  assertEquals(acc.samples.map((s) => s.name), ["db.ok", "db.big"]);
  assertEquals(acc.errors.map((e) => e.message), [
    'metric "nan" has a non-finite value "NaN"',
    'invalid metric name "bad name"',
    'metric "attr" has an invalid attribute key "bad-key"',
    'metric "t" has unknown type "summary"',
    "sample without a name",
  ]);
  assertEquals(acc.errors[0].item, "nan");
});

Deno.test("accumulator caps samples per collection and reports the drop once", () => {
  const acc = make(2);
  for (let i = 0; i < 5; i++) acc.add({ name: `m${i}`, value: i });
  assertEquals(acc.samples.length, 2);
  assertEquals(acc.dropped, 3);
  assertEquals(acc.errors.length, 1);
});

Deno.test("accumulator redacts error messages and ignores additions after close", () => {
  const acc = make();
  acc.addError(new Error("login hunter2 failed"), "q1");
  acc.close();
  acc.add({ name: "late", value: 1 });
  acc.addError(new Error("late"));
  assertEquals(acc.errors, [{ source: "db", item: "q1", message: "login *** failed" }]);
  assertEquals(acc.samples, []);
});

Deno.test("accumulator keeps at most maxErrors and closes with a count of the rest", () => {
  const acc = new CollectingAccumulator({
    source: "s",
    attributes: {},
    defaultType: "gauge",
    now: () => 0,
    maxErrors: 3,
  });
  for (let i = 0; i < 50; i++) acc.addError(new Error(`bad line ${i}`));
  acc.close();
  acc.close();
  assertEquals(acc.errors.map((e) => e.message), [
    "bad line 0",
    "bad line 1",
    "bad line 2",
    "... and 47 more error(s) in this collection",
  ]);
  assertEquals(acc.suppressedErrors, 47);
});

Deno.test("accumulator fail marks the collection failed, keeps its first error and its diagnostics", () => {
  const acc = make();
  acc.add({ name: "up", value: 0 });
  const first = new Error("cannot reach hunter2.example");
  acc.fail(first, "url");
  acc.fail(new Error("second"));
  acc.close();
  acc.fail(new Error("late"));
  assertEquals(acc.failed, true);
  assertEquals(acc.failure, first);
  assertEquals(acc.samples.map((s) => [s.name, s.value]), [["db.up", 0]]);
  assertEquals(acc.errors, [
    { source: "db", item: "url", message: "cannot reach ***.example" },
    { source: "db", item: undefined, message: "second" },
  ]);
});
