import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import type { Attributes, Sample } from "../core/mod.ts";
import { type MetricDefinition, SeriesStore, type StoreHooks } from "./series_store.ts";
import { sample } from "./testdata/helpers.ts";

function hooks(): StoreHooks & { defined: string[]; recorded: [string, number, Attributes][] } {
  const defined: string[] = [];
  const recorded: [string, number, Attributes][] = [];
  return {
    defined,
    recorded,
    define: (d: MetricDefinition) => defined.push(`${d.type}:${d.name}`),
    record: (d, v, a) => recorded.push([d.name, v, a]),
  };
}

function reasons(store: SeriesStore, samples: Sample[], source = "s"): string[] {
  return store.write(source, samples, hooks()).map((r) => r.reason);
}

function values(store: SeriesStore, name: string): [string, number, string][] {
  return [...store.series(name)].map((s) =>
    [JSON.stringify(s.attributes), s.value, s.source] as [string, number, string]
  )
    .sort();
}

Deno.test("SeriesStore rejects samples that cannot be exported, each with its reason", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  const bad: [Sample, string][] = [
    [sample("m.nan", NaN), 'metric "m.nan": value must be a finite number, found NaN'],
    [sample("m.inf", Infinity), "found Infinity"],
    [{ ...sample("m.str", 0), value: "12" as unknown as number }, 'found "12"'],
    [sample("9lives", 1), 'invalid metric name "9lives"'],
    [sample("has space", 1), 'invalid metric name "has space"'],
    [
      { ...sample("m.type", 1), type: "summary" as never },
      'type must be one of gauge, counter, updowncounter, histogram, found "summary"',
    ],
    [sample("m.neg_counter", -1, "counter"), "a counter value must not be negative, found -1"],
    [sample("m.neg_hist", -0.5, "histogram"), "a histogram value must not be negative"],
    [sample("m.key", 1, "gauge", { "bad-key": "x" }), 'invalid attribute key "bad-key"'],
    [sample("m.key2", 1, "gauge", { __reserved: "x" }), 'invalid attribute key "__reserved"'],
    [
      sample("m.obj", 1, "gauge", { k: {} as unknown as string }),
      'attribute "k" must be a string, found object',
    ],
    [sample("m.null", 1, "gauge", { k: null as unknown as string }), "found null"],
    [
      sample("m.clash", 1, "gauge", { "a.b": "1", a_b: "2" }),
      'attributes "a.b" and "a_b" both become the Prometheus label "a_b"',
    ],
    [
      sample("m.unit", 1, "gauge", {}, { unit: "milli seconds" }),
      "unit must be at most 63 printable ASCII characters",
    ],
    [
      sample("target_info", 1),
      'would be exported to Prometheus as "target_info", which is reserved',
    ],
    [null as unknown as Sample, "a sample must be an object, found object"],
    [
      { ...sample("m.attrs", 1), attributes: "x" as unknown as Attributes },
      "attributes must be an object",
    ],
  ];
  const got = reasons(store, bad.map(([s]) => s));
  assertEquals(got.length, bad.length);
  bad.forEach(([, want], i) => assertStringIncludes(got[i], want));
  assertEquals(store.definitions(), [], "no metric was defined by a rejected sample");
});

Deno.test("SeriesStore accepts numbers and booleans as attribute values", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  const attrs = { n: 5, b: true } as unknown as Attributes;
  assertEquals(reasons(store, [sample("m.x", 1, "gauge", attrs)]), []);
  assertEquals(values(store, "m.x"), [['{"n":"5","b":"true"}', 1, "s"]]);
});

Deno.test("SeriesStore keeps the first type of a name and rejects later ones", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  const h = hooks();
  const rejected = store.write("a", [
    sample("db.x", 1, "gauge", {}, { unit: "ms", description: "first" }),
    sample("db.x", 2, "counter"),
    sample("db.x", 3, "gauge", { k: "v" }, { unit: "s" }),
    sample("db.x", 4, "gauge", { k: "w" }, { description: "second" }),
  ], h);
  assertEquals(rejected.map((r) => r.reason), [
    'metric "db.x" is already a gauge; a counter sample cannot use the same name',
    'metric "db.x" already has unit "ms", not "s"',
  ]);
  assertEquals(h.defined, ["gauge:db.x"]);
  const d = store.definition("db.x")!;
  assertEquals([d.name, d.type, d.unit, d.description], ["db.x", "gauge", "ms", "first"]);
  assertEquals(values(store, "db.x").map((v) => v[1]).sort(), [1, 4]);
  assertEquals(reasons(store, [sample("db.x", 1, "histogram")], "b"), [
    'metric "db.x" is already a gauge; a histogram sample cannot use the same name',
  ]);
});

Deno.test("SeriesStore rejects names that would collide in Prometheus", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  assertEquals(
    reasons(store, [
      sample("db.rows", 1),
      sample("db_rows", 1),
      sample("api.lat", 1, "histogram"),
      sample("api.lat.count", 1),
      sample("api.lat_bucket", 1),
      sample("req", 1, "counter"),
      sample("req.total", 1, "gauge"),
      sample("req_total", 2, "counter"),
      sample("ok_total", 1, "counter"),
      sample("ok", 1, "counter"),
    ]),
    [
      'metric "db_rows" would be exported to Prometheus as "db_rows", which metric "db.rows" already uses',
      'metric "api.lat.count" would be exported to Prometheus as "api_lat_count", which metric "api.lat" already uses',
      'metric "api.lat_bucket" would be exported to Prometheus as "api_lat_bucket", which metric "api.lat" already uses',
      'metric "req.total" would be exported to Prometheus as "req_total", which metric "req" already uses',
      'metric "req_total" would be exported to Prometheus as "req_total", which metric "req" already uses',
      'metric "ok" would be exported to Prometheus as "ok_total", which metric "ok_total" already uses',
    ],
  );
});

Deno.test("SeriesStore replaces a source's series with each batch and leaves other sources alone", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  const h = hooks();
  store.write("a", [
    sample("m", 1, "gauge", { k: "1" }),
    sample("m", 2, "gauge", { k: "2" }),
    sample("c", 5, "counter"),
  ], h);
  store.write("b", [sample("m", 9, "gauge", { k: "9" })], h);
  store.write("a", [sample("m", 3, "gauge", { k: "1" })], h);
  assertEquals(values(store, "m"), [['{"k":"1"}', 3, "a"], ['{"k":"9"}', 9, "b"]]);
  assertEquals(values(store, "c"), []);
  assert(store.isLive("m", { k: "1" }));
  assert(!store.isLive("m", { k: "2" }));
  assert(!store.isLive("nope", {}));

  // The same series written by another source changes owner; the old owner's next batch does not remove it.
  store.write("b", [sample("m", 9, "gauge", { k: "9" }), sample("m", 4, "gauge", { k: "1" })], h);
  store.write("a", [], h);
  assertEquals(values(store, "m"), [['{"k":"1"}', 4, "b"], ['{"k":"9"}', 9, "b"]]);

  store.write("b", [], h);
  assertEquals(values(store, "m"), []);
  assertEquals(store.counts(), { live: 0, dead: 4 });
  store.resetSeen();
  assertEquals(store.counts(), { live: 0, dead: 0 });
});

Deno.test("SeriesStore records histogram samples instead of replacing them", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  const h = hooks();
  store.write("a", [
    sample("lat", 1, "histogram", { r: "/" }),
    sample("lat", 2, "histogram", { r: "/" }),
  ], h);
  store.write("a", [], h);
  assertEquals(h.recorded, [["lat", 1, { r: "/" }], ["lat", 2, { r: "/" }]]);
  assert(store.isLive("lat", { r: "/" }), "histogram series stay");
  assert(store.isLive("lat", { r: "other" }));
  assertEquals(store.counts(), { live: 1, dead: 0 });
});

Deno.test("SeriesStore caps the series of one metric", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 2 });
  const h = hooks();
  const batch = (n: number, name = "m", type: "gauge" | "histogram" = "gauge") =>
    Array.from({ length: n }, (_, i) => sample(name, i, type, { i: String(i) }));
  let rejected = store.write("a", batch(3), h);
  assertEquals(rejected.map((r) => r.reason), [
    'metric "m" already has 2 series (the limit per metric); new series are dropped',
  ]);
  // A batch that replaces its own series is not held back by the series it replaces.
  rejected = store.write("a", [
    sample("m", 1, "gauge", { i: "x" }),
    sample("m", 2, "gauge", { i: "y" }),
  ], h);
  assertEquals(rejected, []);
  rejected = store.write("b", batch(1), h);
  assertEquals(rejected.length, 1);
  rejected = store.write("a", batch(3, "h", "histogram"), h);
  assertEquals(rejected.map((r) => r.reason), [
    'metric "h" already has 2 series (the limit per metric); new series are dropped',
  ]);
  assertEquals(h.recorded.length, 2);
});

Deno.test("SeriesStore keeps the last of two samples of one series in a batch and reports the first", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  const first = sample("m", 1, "gauge", { k: "a" });
  const rejected = store.write("s", [
    first,
    sample("m", 2, "gauge", { k: "a" }),
    sample("m", 3, "gauge", { k: "b" }),
  ], hooks());
  assertEquals(rejected, [{
    sample: first,
    reason: "a later sample in the same batch has the same name and attributes",
  }]);
  assertEquals(values(store, "m").map((v) => v[1]), [2, 3]);
});
