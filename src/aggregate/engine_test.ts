import { assert, assertEquals } from "../../tests/assert.ts";
import { FakeClock, type Sample } from "../core/mod.ts";
import { AggregationEngine } from "./engine.ts";
import { resolveRules } from "./rules.ts";
import { aggregatorSchema } from "./schema.ts";
import { createSketch } from "./sketch.ts";
import { DISTRIBUTIONS, exact } from "./testdata/data.ts";

const MIN = 60_000;

function engineOf(...tables: Record<string, unknown>[]): AggregationEngine {
  return new AggregationEngine(rulesOf(...tables));
}

function rulesOf(...tables: Record<string, unknown>[]) {
  return resolveRules(tables.map((t) => aggregatorSchema.parse(t)), { window: 5 * MIN });
}

function s(
  name: string,
  value: number,
  timestamp: number,
  attributes: Record<string, string> = {},
  type: Sample["type"] = "gauge",
): Sample {
  return { name, value, type, attributes, timestamp, unit: "ms" };
}

/** name{attrs} → value, for compact assertions. */
function table(out: Sample[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const x of out) {
    const a = Object.entries(x.attributes).map(([k, v]) => `${k}=${v}`).join(",");
    t[a ? `${x.name}{${a}}` : x.name] = x.value;
  }
  return t;
}

Deno.test("engine publishes a tumbling window's percentiles once it closes", () => {
  const engine = engineOf({
    source: "api_health.response_time",
    type: "percentile",
    percentiles: [50, 95, 99],
    window: "5m",
    algorithm: "exact",
  });
  const values = DISTRIBUTIONS.skewed(300);
  values.forEach((v, i) => engine.ingest([s("api_health.response_time", v, i * 1000)]));
  engine.ingest([s("other.metric", 1, 1000)]);
  assertEquals(engine.read(5 * MIN - 1).samples, []); // still open
  const out = engine.read(5 * MIN).samples;
  assertEquals(table(out), {
    "api_health.response_time.p50{window=5m}": exact(values, 0.5),
    "api_health.response_time.p95{window=5m}": exact(values, 0.95),
    "api_health.response_time.p99{window=5m}": exact(values, 0.99),
  });
  assertEquals(
    out.map((x) => [x.type, x.timestamp, x.unit]),
    new Array(3).fill(["gauge", 5 * MIN, "ms"]),
  );
  // The next window holds nothing: an empty window publishes nothing.
  assertEquals(engine.read(10 * MIN).samples, []);
});

Deno.test("engine percentiles over a window stay within DDSketch accuracy on generated data", () => {
  for (const [dist, gen] of Object.entries(DISTRIBUTIONS)) {
    const engine = engineOf({
      source: "m",
      type: "percentile",
      percentiles: [50, 95, 99],
      window: "1m",
      relative_accuracy: 0.01,
    });
    const values = gen(6000);
    engine.ingest(values.map((v, i) => s("m", v, i * 10)));
    const out = engine.read(MIN).samples;
    assertEquals(out.map((x) => x.name), ["m.p50", "m.p95", "m.p99"], dist);
    for (const x of out) {
      const q = Number(x.name.slice("m.p".length)) / 100;
      const want = exact(values, q);
      assert(
        Math.abs(x.value - want) / want <= 0.01 + 1e-9,
        `${dist} ${x.name}: ${x.value} vs ${want}`,
      );
    }
  }
});

Deno.test("engine sliding window expires old panes as a fake clock advances", async () => {
  const clock = new FakeClock(0);
  const engine = engineOf({
    source: "q.depth",
    type: "stats",
    stats: ["count", "sum", "min", "max"],
    window: "1m",
    slide: "10s",
  });
  // One sample every 5 s: value = seconds since start.
  for (let t = 0; t < 2 * MIN; t += 5000) {
    engine.ingest([s("q.depth", t / 1000, clock.now())]);
    await clock.advance(5000);
  }
  // now = 120 s: closed panes cover [60 s, 120 s): samples 60..115.
  let out = table(engine.read(clock.now()).samples);
  assertEquals(out, {
    "q.depth.count{window=1m}": 12,
    "q.depth.sum{window=1m}": [60, 65, 70, 75, 80, 85, 90, 95, 100, 105, 110, 115].reduce((a, b) =>
      a + b
    ),
    "q.depth.min{window=1m}": 60,
    "q.depth.max{window=1m}": 115,
  });
  await clock.advance(30_000); // no samples for 30 s: the window slides over [90 s, 150 s)
  out = table(engine.read(clock.now()).samples);
  assertEquals(out["q.depth.count{window=1m}"], 6);
  assertEquals(out["q.depth.min{window=1m}"], 90);
  await clock.advance(30_000);
  assertEquals(engine.read(clock.now()).samples, []);
});

Deno.test("engine includeOpen reads the window ending in the open pane (sextant once)", () => {
  const engine = engineOf({ source: "a.*", type: "stats", stats: ["avg", "count"], window: "5m" });
  engine.ingest([s("a.x", 2, 1000), s("a.x", 4, 1500), s("b.x", 100, 1500)]);
  assertEquals(engine.read(2000).samples, []);
  assertEquals(table(engine.read(2000, { includeOpen: true }).samples), {
    "a.x.avg{window=5m}": 3,
    "a.x.count{window=5m}": 2,
  });
});

Deno.test("engine rate and delta handle a counter reset inside the window", () => {
  const engine = engineOf({
    source: "db.tx",
    type: "stats",
    stats: ["rate", "delta"],
    window: "1m",
    slide: "20s",
  });
  const points = [[1000, 0], [1600, 10_000], [100, 25_000], [400, 45_000], [700, 55_000]];
  engine.ingest(points.map(([v, t]) => s("db.tx", v, t, {}, "counter")));
  const out = table(engine.read(MIN).samples);
  // +600, reset (counts 100), +300, +300
  assertEquals(out["db.tx.delta{window=1m}"], 1300);
  assertEquals(out["db.tx.rate{window=1m}"], 1300 / 55);
});

Deno.test("engine caps series per rule and counts what it drops", () => {
  const engine = engineOf({
    source: "m",
    type: "stats",
    stats: ["count"],
    window: "1m",
    max_series: 2,
  });
  engine.ingest(["a", "b", "c", "a"].map((h, i) => s("m", 1, i, { host: h })));
  const [st] = engine.stats();
  assertEquals([st.series, st.dropped.series_cap], [2, 1]);
  assertEquals(Object.keys(table(engine.read(MIN).samples)).sort(), [
    "m.count{host=a,window=1m}",
    "m.count{host=b,window=1m}",
  ]);
});

Deno.test("engine evicts idle series after idle_ttl and reports bytes", () => {
  const engine = engineOf({ source: "m", type: "percentile", window: "1m", idle_ttl: "3m" });
  engine.ingest([s("m", 5, 1000, { host: "a" }), s("m", 6, 1000, { host: "b" })]);
  engine.ingest([s("m", 7, 3 * MIN, { host: "b" })]);
  const before = engine.stats()[0];
  assertEquals([before.series, before.evictions], [2, 0]);
  assert(before.bytes > 2 * 240, `bytes ${before.bytes}`);
  engine.read(3 * MIN + 1001); // a idle for 3m + 1ms
  const after = engine.stats()[0];
  assertEquals([after.series, after.evictions], [1, 1]);
  assert(after.bytes < before.bytes);
  engine.read(7 * MIN);
  assertEquals(engine.stats()[0].evictions, 2);
});

Deno.test("engine group_by, drop_attributes and name shape the series key", () => {
  const samples = [
    s("db.q1", 1, 0, { host: "a", db: "x" }),
    s("db.q1", 3, 0, { host: "b", db: "x" }),
    s("db.q2", 5, 0, { host: "a", db: "y" }),
  ];
  const byDb = engineOf({
    source: "db.*",
    type: "stats",
    stats: ["sum"],
    window: "1m",
    group_by: ["db"],
  });
  byDb.ingest(samples);
  assertEquals(table(byDb.read(MIN).samples), {
    "db.q1.sum{db=x,window=1m}": 4,
    "db.q2.sum{db=y,window=1m}": 5,
  });
  const named = engineOf({
    source: "db.*",
    name: "db.all",
    type: "stats",
    stats: ["sum"],
    window: "1m",
    drop_attributes: ["db"],
  });
  named.ingest(samples);
  assertEquals(table(named.read(MIN).samples), {
    "db.all.sum{host=a,window=1m}": 6,
    "db.all.sum{host=b,window=1m}": 3,
  });
});

Deno.test("engine drops samples older than the ring and counts them", () => {
  const engine = engineOf({ source: "m", type: "stats", stats: ["count"], window: "1m" });
  engine.ingest([s("m", 1, 10 * MIN), s("m", 1, 8 * MIN)]);
  assertEquals(engine.stats()[0].dropped.late, 1);
  assertEquals(table(engine.read(11 * MIN).samples), { "m.count{window=1m}": 1 });
});

Deno.test("engine republishes a closed window when a late sample lands in it", () => {
  const engine = engineOf({ source: "m", type: "stats", stats: ["count"], window: "1m" });
  engine.ingest([s("m", 1, 1000)]);
  assertEquals(table(engine.read(MIN + 5).samples), { "m.count{window=1m}": 1 });
  engine.ingest([s("m", 1, 59_000)]); // collected before the close, delivered after it
  assertEquals(table(engine.read(MIN + 10).samples), { "m.count{window=1m}": 2 });
});

Deno.test("engine sma averages over a sliding window of 10 panes by default", () => {
  const engine = engineOf({ source: "m", type: "sma", window: "100s" });
  assertEquals([engine.rules[0].panes, engine.rules[0].paneWidth], [10, 10_000]);
  for (let t = 0; t < 200; t += 10) engine.ingest([s("m", t, t * 1000)]);
  // closed panes at 200 s: [100 s, 200 s) → 100..190
  assertEquals(table(engine.read(200_000).samples), { "m.sma{window=1m40s}": 145 });
});

Deno.test("engine ewma with alpha and with half_life", () => {
  const engine = engineOf(
    { source: "a", type: "ewma", alpha: 0.5 },
    { source: "b", type: "ewma", half_life: "10s" },
  );
  engine.ingest([s("a", 0, 0), s("a", 8, 1), s("a", 4, 2)]);
  engine.ingest([s("b", 0, 0), s("b", 100, 10_000), s("b", 100, 5000)]); // the last is late
  assertEquals(table(engine.read(20_000).samples), {
    "a.ewma{window=5m}": 4, // 0 → 4 → 4
    "b.ewma{window=5m}": 50, // one half-life: halfway
  });
  assertEquals(engine.stats()[1].dropped.late, 1);
});

Deno.test("engine derived metric joins series by attributes and broadcasts scalars", () => {
  const engine = engineOf(
    { type: "derived", name: "api.error_pct", expression: "100 * api.errors / api.requests" },
    { type: "derived", name: "api.scaled", expression: "api.requests * cfg.factor" },
  );
  engine.ingest([
    s("api.errors", 5, 0, { host: "a" }),
    s("api.requests", 100, 0, { host: "a" }),
    s("api.errors", 1, 0, { host: "b" }),
    s("api.requests", 50, 0, { host: "b" }),
    s("cfg.factor", 2, 0),
  ]);
  const r = engine.read(1000);
  assertEquals(r.errors, []);
  assertEquals(table(r.samples), {
    "api.error_pct{host=a}": 5,
    "api.error_pct{host=b}": 2,
    "api.scaled{host=a}": 200,
    "api.scaled{host=b}": 100,
  });
});

Deno.test("engine derived metric over aggregates of the same read", () => {
  const engine = engineOf(
    { source: "lat", type: "percentile", algorithm: "exact", percentiles: [50, 99], window: "1m" },
    { type: "derived", name: "lat.tail_ratio", expression: "lat.p99 / lat.p50" },
  );
  engine.ingest([1, 2, 3, 4, 100].map((v, i) => s("lat", v, i)));
  const r = engine.read(MIN);
  // Lower nearest rank of 5 values: p50 = 3, p99 = 4.
  assertEquals(table(r.samples)["lat.tail_ratio"], 4 / 3);
});

Deno.test("engine derived errors are per rule: division by zero, missing input, ambiguity", () => {
  const engine = engineOf(
    { type: "derived", name: "pct", expression: "100 * e / r" },
    { type: "derived", name: "pending", expression: "nothing + 1" },
    { type: "derived", name: "ok", expression: "e + 1" },
    { type: "derived", name: "amb", expression: "e + r", join_on: [] },
  );
  engine.ingest([
    s("e", 1, 0, { host: "a" }),
    s("r", 0, 0, { host: "a" }),
    s("e", 2, 0, { host: "b" }),
  ]);
  const r = engine.read(1000);
  assertEquals(r.errors, [
    { rule: "pct", message: 'division by zero at column 9 for {host="a"}' },
    { rule: "pct", message: 'missing input "r" for {host="b"}' },
    { rule: "amb", message: 'input "e" has several series for {}; set join_on' },
  ]);
  assertEquals(table(r.samples), { "ok{host=a}": 2, "ok{host=b}": 3 });
  assert(r.samples.every((x) => Number.isFinite(x.value)));
  // "nothing" never had a value: the rule waits without an error.
  assertEquals(engine.stats().map((x) => x.errors), [2, 0, 0, 1]);
});

Deno.test("engine derived input that had values and went missing is an error", () => {
  const engine = engineOf({
    type: "derived",
    name: "twice",
    expression: "2 * q.depth",
    idle_ttl: "1m",
  });
  assertEquals(engine.read(0), { samples: [], errors: [] }); // before the first value: waiting
  engine.ingest([s("q.depth", 4, 1000)]);
  assertEquals(table(engine.read(2000).samples), { twice: 8 });
  assertEquals(engine.read(MIN + 1001), {
    samples: [],
    errors: [{ rule: "twice", message: 'missing input "q.depth": no series in the last 1m' }],
  });
});

Deno.test("engine derived input that never comes is an error after the grace", () => {
  const engine = engineOf(
    { type: "derived", name: "miss", expression: "pg.a + pg.nosuch", idle_ttl: "1m" },
    // An aggregate input: the grace is twice the window of the rule producing it.
    { source: "pg.a", type: "stats", stats: ["avg"], window: "2m" },
    { type: "derived", name: "slow", expression: "pg.a.avg + pg.nosuch", idle_ttl: "1m" },
  );
  engine.ingest([s("pg.a", 5, 1000)]);
  assertEquals(engine.read(1000).errors, []); // the rules start: both wait quietly
  assertEquals(engine.read(MIN).errors, []);
  let r = engine.read(MIN + 1000);
  assertEquals(r.errors, [
    {
      rule: "miss",
      message: 'missing input "pg.nosuch": no value since the rule started (waited 1m)',
    },
  ]);
  assertEquals(engine.stats().map((x) => [x.rule, x.errors, x.error]), [
    ["miss", 1, 'missing input "pg.nosuch": no value since the rule started (waited 1m)'],
    ["pg.a:stats", 0, undefined],
    ["slow", 0, undefined],
  ]);
  engine.ingest([s("pg.a", 5, 3.5 * MIN)]); // in the window [2m, 4m), and within idle_ttl at 4m
  r = engine.read(4 * MIN + 1000);
  assertEquals(r.errors.map((e) => [e.rule, e.message]), [
    ["miss", 'missing input "pg.nosuch": no value since the rule started (waited 1m)'],
    ["slow", 'missing input "pg.nosuch": no value since the rule started (waited 4m)'],
  ]);
  // Once the input appears, the rule computes and its error clears.
  engine.ingest([s("pg.nosuch", 1, 4 * MIN + 2000)]);
  r = engine.read(4 * MIN + 3000);
  assertEquals(table(r.samples), { "miss": 6, "pg.a.avg{window=2m}": 5, "slow": 6 });
  assertEquals(r.errors, []);
  assertEquals(engine.stats()[0].error, undefined);
});

Deno.test("engine derived input without a value is an error at once in a final read (sextant once)", () => {
  const engine = engineOf({ type: "derived", name: "miss", expression: "pg.a + pg.nosuch" });
  engine.ingest([s("pg.a", 5, 1000)]);
  assertEquals(engine.read(2000, { includeOpen: true }), {
    samples: [],
    errors: [{ rule: "miss", message: 'missing input "pg.nosuch": no value in this cycle' }],
  });
});

Deno.test("engine leaves out non-finite aggregates and counts each as an error once per window", () => {
  const engine = engineOf(
    { source: "v", type: "stats", stats: ["sum", "avg", "stddev", "max"], window: "1m" },
    { source: "v", type: "ewma", alpha: 0.5 },
  );
  engine.ingest([s("v", 1e308, 0), s("v", 1e308, 1), s("v", -1e308, 2)]);
  const message = (stat: string, v: number) =>
    `v.${stat} {window="1m"} is ${v}, not a finite number: not exported`;
  let r = engine.read(MIN);
  // The EWMA stays finite: 0.5 · 1e308 + 0.5 · −1e308.
  assertEquals(table(r.samples), { "v.max{window=1m}": 1e308, "v.ewma{window=5m}": 0 });
  const errors = [
    { rule: "v:stats", message: message("sum", Infinity) },
    { rule: "v:stats", message: message("avg", Infinity) },
    { rule: "v:stats", message: message("stddev", NaN) },
  ];
  assertEquals(r.errors, errors);
  // The same window at the next read: the same errors, counted once.
  r = engine.read(MIN + 1000);
  assertEquals(r.errors, errors);
  assertEquals(engine.stats().map((x) => [x.rule, x.errors, x.error]), [
    ["v:stats", 3, errors.map((e) => e.message).join("; ")],
    ["v:ewma", 0, undefined],
  ]);
  // The next window is empty: no errors, none kept.
  r = engine.read(2 * MIN);
  assertEquals(table(r.samples), { "v.ewma{window=5m}": 0 });
  assertEquals(r.errors, []);
  assertEquals(engine.stats()[0].error, undefined);
});

Deno.test("engine derived rules hold at most max_series series of each raw input", () => {
  const rule = { type: "derived", name: "r", expression: "a * 2", max_series: 10 };
  const batch = (n: number, t: number) =>
    Array.from({ length: n }, (_, i) => s("a", i, t, { id: String(i) }));
  const small = engineOf(rule);
  small.ingest(batch(10, 0));
  const engine = engineOf(rule);
  engine.ingest(batch(2000, 0));
  assertEquals(engine.stats()[0].dropped.series_cap, 1990);
  // It holds what 10 series take, not 2,000.
  assertEquals(engine.stats()[0].bytes, small.stats()[0].bytes);
  const r = engine.read(1000);
  assertEquals(r.samples.length, 10);
  assertEquals(r.errors, []);
  // Series already held keep updating at the cap.
  engine.ingest([s("a", 100, 2000, { id: "3" })]);
  assertEquals(table(engine.read(3000).samples)["r{id=3}"], 200);
});

Deno.test("engine reconfigure keeps the state of unchanged rules and drops the others", () => {
  const keep = { source: "m", type: "stats", stats: ["count"], window: "1m" };
  const change = { source: "m", type: "stats", stats: ["sum"], window: "1m" };
  const engine = engineOf(keep, change);
  engine.ingest([s("m", 2, 0), s("m", 3, 1)]);
  const r = engine.reconfigure(
    rulesOf({ ...change, window: "2m" }, keep, {
      type: "derived",
      name: "d",
      expression: "m.count * 2",
    }),
  );
  assertEquals(r, { kept: ["m:stats#2"], added: ["m:stats", "d"], dropped: ["m:stats#2"] });
  // The kept rule moved and got a new id, with its window intact.
  assertEquals(engine.rules.map((x) => x.id), ["m:stats", "m:stats#2", "d"]);
  engine.ingest([s("m", 10, 30_000)]);
  // The kept count rule still holds the two earlier samples; the 2m window is not closed yet.
  assertEquals(table(engine.read(MIN).samples), { "m.count{window=1m}": 3, d: 6 });
  // The changed rule started empty: its sum holds only the new sample.
  assertEquals(table(engine.read(2 * MIN).samples), { "m.sum{window=2m}": 10 });
});

Deno.test("engine exact percentiles stop at max_samples and count the rest", () => {
  const engine = engineOf({
    source: "m",
    type: "percentile",
    algorithm: "exact",
    max_samples: 100,
    percentiles: [50],
    window: "1m",
    panes: 2,
  });
  engine.ingest(Array.from({ length: 150 }, (_, i) => s("m", i, i)));
  assertEquals(engine.stats()[0].dropped.exact_cap, 50);
  assertEquals(table(engine.read(MIN).samples), { "m.p50{window=1m}": 49 });
  assertEquals(engine.nextClose(MIN + 1), MIN + 30_000);
});

Deno.test("engine sliding ddsketch window updated pane by pane answers like a full merge", () => {
  const spec = { algorithm: "ddsketch" as const, relativeAccuracy: 0.01 };
  const engine = engineOf({
    source: "m",
    type: "percentile",
    percentiles: [1, 50, 90, 99],
    window: "1m",
    panes: 4,
  });
  const gen = DISTRIBUTIONS.skewed(20_000, 13);
  let g = 0;
  /** Every value ingested, by pane index. */
  const byPane = new Map<number, number[]>();
  const put = (pane: number, n: number, offset = 1) => {
    const list = byPane.get(pane) ?? [];
    byPane.set(pane, list);
    const batch: Sample[] = [];
    for (let i = 0; i < n; i++) {
      // Negatives and zeros too; more than the raw buffer in some panes, a few values in others.
      const v = i % 11 === 0 ? -gen[g] : i % 17 === 0 ? 0 : gen[g];
      g++;
      list.push(v);
      batch.push(s("m", v, pane * 15_000 + offset + (i % 14_000)));
    }
    engine.ingest(batch);
  };
  const check = (last: number) => {
    const want = createSketch(spec);
    for (let p = last - 3; p <= last; p++) for (const v of byPane.get(p) ?? []) want.add(v);
    const got = table(engine.read((last + 1) * 15_000).samples);
    const expect: Record<string, number> = {};
    for (const q of [1, 50, 90, 99]) {
      const v = want.quantile(q / 100);
      if (v !== undefined) expect[`m.p${q}{window=1m}`] = v;
    }
    assertEquals(got, expect, `window ending in pane ${last}`);
  };
  const sizes = [300, 5, 200, 40, 0, 129, 3, 500, 1, 0, 0, 0, 0, 60, 250];
  for (let p = 0; p < sizes.length; p++) {
    put(p, sizes[p]);
    check(p);
    if (p === 7) {
      put(6, 30, 14_500); // late, into a pane the running window holds: rebuilt
      check(7);
    }
    if (p === 9) check(8); // reading an earlier window: rebuilt from the ring
  }
  // Reads skipped for longer than the spare pane: the panes to subtract are gone.
  put(15, 20);
  put(16, 20);
  put(17, 300);
  check(17);
  const [st] = engine.stats();
  assertEquals(st.dropped.late, 0);
});

Deno.test("engine routes runs of samples to series by their projected attributes", () => {
  const all = engineOf({ source: "m", type: "stats", stats: ["count"], window: "1m" });
  const shared: Record<string, string> = { host: "a" }; // a source that reuses one object
  all.ingest([
    s("m", 1, 0, shared),
    s("m", 1, 1, { host: "a", db: "x" }), // a superset is another series
    s("m", 1, 2, { db: "x", host: "a" }), // key order does not matter
    s("m", 1, 3, {}),
  ]);
  shared.host = "b";
  all.ingest([s("m", 1, 4, shared), s("m", 1, 5, { host: "a" })]);
  assertEquals(table(all.read(MIN).samples), {
    "m.count{host=a,window=1m}": 2,
    "m.count{host=a,db=x,window=1m}": 2,
    "m.count{window=1m}": 1,
    "m.count{host=b,window=1m}": 1,
  });
  const grouped = engineOf({
    source: "db.*",
    name: "db.all",
    type: "stats",
    stats: ["count"],
    window: "1m",
    group_by: ["db", "zone"],
  });
  grouped.ingest([
    s("db.q1", 1, 0, { host: "a", db: "x" }),
    s("db.q2", 1, 1, { host: "b", db: "x" }), // other input, other host: same series
    s("db.q2", 1, 2, { host: "b", db: "x", zone: "z" }),
    s("db.q2", 1, 3, { db: "y" }),
  ]);
  assertEquals(table(grouped.read(MIN).samples), {
    "db.all.count{db=x,window=1m}": 2,
    "db.all.count{db=x,zone=z,window=1m}": 1,
    "db.all.count{db=y,window=1m}": 1,
  });
  const dropped = engineOf({
    source: "m",
    type: "stats",
    stats: ["count"],
    window: "1m",
    drop_attributes: ["pid"],
  });
  dropped.ingest([
    s("m", 1, 0, { host: "a", pid: "1" }),
    s("m", 1, 1, { host: "a", pid: "2" }),
    s("m", 1, 2, { host: "a" }),
    s("m", 1, 3, { pid: "3" }),
    s("m", 1, 4, { host: "b", pid: "3" }),
  ]);
  assertEquals(table(dropped.read(MIN).samples), {
    "m.count{host=a,window=1m}": 3,
    "m.count{window=1m}": 1,
    "m.count{host=b,window=1m}": 1,
  });
});

Deno.test("engine puts samples at a pane's edges into the right panes", () => {
  const engine = engineOf({
    source: "m",
    type: "stats",
    stats: ["count", "sum"],
    window: "20s",
    slide: "10s",
  });
  engine.ingest([s("m", 1, 9_999), s("m", 2, 10_000), s("m", 4, 19_999), s("m", 8, 5_000)]);
  engine.ingest([s("m", 16, 20_000), s("m", 32, 0)]); // 0: still in the ring
  assertEquals(table(engine.read(20_000).samples), {
    "m.count{window=20s}": 5,
    "m.sum{window=20s}": 47,
  });
  // [10 s, 30 s): the first pane slid out.
  assertEquals(table(engine.read(30_000).samples), {
    "m.count{window=20s}": 3,
    "m.sum{window=20s}": 22,
  });
  engine.ingest([s("m", 64, 30_000), s("m", 64, 9_000)]); // older than the ring's 3 panes
  assertEquals(engine.stats()[0].dropped.late, 1);
});
