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
      sample("api.lat.count", 1), // a gauge: api_lat_count_value, no clash with the histogram
      sample("api.lat.count_value", 1),
      sample("api.lat_sum", 1, "histogram"),
      sample("api.lat_bucket", 1),
      sample("req", 1, "counter"),
      sample("req.total", 1, "gauge"), // req_total_value
      sample("req_total", 2, "counter"),
      sample("ok_total", 1, "counter"),
      sample("ok", 1, "counter"),
    ]),
    [
      'metric "db_rows" would be exported to Prometheus as "db_rows", which metric "db.rows" already uses',
      'metric "api.lat.count_value" would be exported to Prometheus as "api_lat_count_value", which metric "api.lat.count" already uses',
      'metric "api.lat_sum" would be exported to Prometheus as "api_lat_sum", which metric "api.lat" already uses',
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
  store.compact();
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

Deno.test("SeriesStore rejects a later sample whose attributes make the same Prometheus series", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  const h = hooks();
  const rejected = store.write("s", [
    sample("s.m", 1, "gauge", { "a.b": "1" }),
    sample("s.m", 2, "gauge", { a_b: "1" }),
    sample("s.h", 1, "histogram", { le: "1" }),
    sample("s.h", 1, "histogram", { exported_le: "1" }),
    sample("s.n", 1, "gauge", { x: "1", "y.z": "" }),
    sample("s.n", 2, "gauge", { x: "1" }),
  ], h);
  assertEquals(rejected.map((r) => [r.sample.value, r.reason]), [
    [
      2,
      'metric "s.m": attributes {"a_b":"1"} and {"a.b":"1"} (written first) are the same Prometheus series s_m{a_b="1"}',
    ],
    [
      1,
      'metric "s.h": attributes {"exported_le":"1"} and {"le":"1"} (written first) are the same Prometheus series s_h{exported_le="1"}',
    ],
    [
      2,
      'metric "s.n": attributes {"x":"1"} and {"x":"1","y.z":""} (written first) are the same Prometheus series s_n{x="1"} (an empty value is no label)',
    ],
  ]);
  assertEquals(values(store, "s.m"), [['{"a.b":"1"}', 1, "s"]]);
  assertEquals(values(store, "s.n"), [['{"x":"1","y.z":""}', 1, "s"]]);
  assertEquals(
    h.recorded,
    [["s.h", 1, { le: "1" }]],
    "only the first histogram series is recorded",
  );
  assert(store.isLive("s.m", { "a.b": "1" }));
  assert(!store.isLive("s.m", { a_b: "1" }));

  // Later batches and other sources are held to the series that is live.
  assertStringIncludes(
    reasons(store, [sample("s.n", 3, "gauge", { x: "1" })], "other")[0],
    'are the same Prometheus series s_n{x="1"}',
  );
  assertStringIncludes(
    reasons(store, [sample("s.h", 2, "histogram", { exported_le: "1" })], "other")[0],
    'are the same Prometheus series s_h{exported_le="1"}',
  );
  // The same attributes from another source still take the series over (last write wins).
  assertEquals(reasons(store, [sample("s.m", 5, "gauge", { "a.b": "1" })], "other"), []);
  assertEquals(values(store, "s.m"), [['{"a.b":"1"}', 5, "other"]]);
});

Deno.test("SeriesStore lets a source replace its series with another spelling of the same labels", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  assertEquals(reasons(store, [sample("m", 1, "gauge", { "a.b": "1" })]), []);
  assertEquals(reasons(store, [sample("m", 2, "gauge", { a_b: "1" })]), []);
  assertEquals(values(store, "m"), [['{"a_b":"1"}', 2, "s"]]);
  assert(!store.isLive("m", { "a.b": "1" }), "the replaced spelling is dead to OTel");
  assert(store.isLive("m", { a_b: "1" }));
  assertEquals(store.counts(), { live: 1, dead: 1 });
  // Once the first writer stops reporting a series, another spelling may take it.
  store.write("s", [], hooks());
  assertEquals(reasons(store, [sample("m", 3, "gauge", { a_b: "1", c: "" })], "t"), []);
});

Deno.test("SeriesStore caps the metrics that have series and counts a returning one", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100, maxMetrics: 3 });
  const h = hooks();
  const batch = (names: string[]) => names.map((n) => sample(n, 1));
  assertEquals(store.write("a", batch(["m1", "m2", "m3", "m4"]), h).map((r) => r.reason), [
    'metric "m4" is dropped: 3 metrics already have series (the limit); new metrics are dropped until others stop reporting',
  ]);
  assertEquals(h.defined, ["gauge:m1", "gauge:m2", "gauge:m3"], "a refused metric is not defined");
  // A batch that replaces its own metrics is not held back by the metrics it replaces.
  assertEquals(store.write("a", batch(["n1", "n2", "n3"]), h), []);
  assertEquals(store.metricCounts(), { defined: 6, active: 3 });
  // m1 has no series any more: bringing it back counts against the limit.
  assertEquals(reasons(store, batch(["m1"]), "b").length, 1);
  assertEquals(reasons(store, [sample("h", 1, "histogram")], "b").length, 1);
  store.write("a", batch(["n1"]), h);
  const mixed = [...batch(["m1"]), sample("h", 1, "histogram"), sample("m2", 1)];
  assertEquals(store.write("b", mixed, h).map((r) => r.reason), [
    'metric "m2" is dropped: 3 metrics already have series (the limit); new metrics are dropped until others stop reporting',
  ]);
  assertEquals(store.metricCounts(), { defined: 7, active: 3 });
  assertEquals(h.recorded, [["h", 1, {}]]);
});

Deno.test("SeriesStore compaction drops metrics without series and frees their names", () => {
  const store = new SeriesStore({ maxSeriesPerMetric: 100 });
  const h = hooks();
  store.write("a", [sample("gone.x", 1), sample("kept", 1, "gauge", { k: "v" })], h);
  store.write("hist", [sample("lat", 1, "histogram"), sample("idle", 1, "histogram")], h);
  store.write("a", [sample("kept", 2, "gauge", { k: "v" })], h);
  assertEquals(store.compact(), 1, "gone.x has no series");
  assertEquals(store.definitions().map((d) => d.name), ["kept", "lat", "idle"]);
  assertEquals(store.counts(), { live: 1, dead: 0 });
  assertEquals(store.metricCounts(), { defined: 3, active: 1 });

  // The name is free again, even for another type and for a metric that collided with it.
  assertEquals(reasons(store, [sample("gone_x", 7, "counter")], "b"), []);
  assertEquals(store.definition("gone_x")?.type, "counter");

  // A histogram with no sample since the last compaction goes at the next one.
  store.write("hist", [sample("lat", 2, "histogram")], h);
  assertEquals(store.compact(), 1, "idle");
  assertEquals(store.definitions().map((d) => d.name), ["kept", "lat", "gone_x"]);
  store.write("hist", [], h);
  store.write("b", [], h);
  assertEquals(store.compact(), 2, "gone_x, and lat with no sample since");
  assertEquals(store.definitions().map((d) => d.name), ["kept"]);
  // A source whose metric was dropped writes again without trouble.
  assertEquals(reasons(store, [sample("gone_x", 1, "gauge")], "b"), []);
  assertEquals(store.write("b", [], h), []);
});
