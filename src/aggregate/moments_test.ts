import { assert, assertEquals } from "../../tests/assert.ts";
import { Moments, STATS } from "./moments.ts";
import { DISTRIBUTIONS } from "./testdata/data.ts";

function exactStats(values: number[]) {
  const n = values.length;
  const sum = values.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  return {
    count: n,
    sum,
    min: Math.min(...values),
    max: Math.max(...values),
    avg: mean,
    stddev: Math.sqrt(variance),
  };
}

for (const [dist, gen] of Object.entries(DISTRIBUTIONS)) {
  Deno.test(`moments match exact statistics on ${dist} data, merged from panes or not`, () => {
    const values = gen(5000);
    const whole = new Moments();
    const merged = new Moments();
    values.forEach((v, i) => whole.add(v, i, false));
    for (let p = 0; p < 5; p++) {
      const pane = new Moments();
      for (let i = p * 1000; i < (p + 1) * 1000; i++) pane.add(values[i], i, false);
      merged.merge(pane);
    }
    const want = exactStats(values);
    for (const m of [whole, merged]) {
      for (const [k, v] of Object.entries(want)) {
        const got = m.value(k as keyof typeof want)!;
        assert(
          Math.abs(got - v) <= 1e-9 * Math.max(1, Math.abs(v)),
          `${dist} ${k}: ${got} vs ${v}`,
        );
      }
    }
  });
}

Deno.test("moments of one sample", () => {
  const m = new Moments();
  m.add(7, 1000, false);
  assertEquals(
    STATS.map((s) => m.value(s)),
    [7, 7, 7, 1, 7, 0, undefined, undefined],
  );
});

Deno.test("moments of an empty window give only count and sum", () => {
  const m = new Moments();
  m.merge(new Moments());
  assertEquals(STATS.map((s) => m.value(s)), [
    undefined,
    undefined,
    0,
    0,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
});

Deno.test("moments rate and delta of a counter survive a reset inside and across panes", () => {
  // 100 → 160 (+60), reset, 0 → 30 (+30) ; next pane: 50 (+20), reset to 5 (+5)
  const a = new Moments();
  for (const [v, t] of [[100, 0], [160, 10_000], [30, 20_000]]) a.add(v, t, true);
  const b = new Moments();
  for (const [v, t] of [[50, 30_000], [5, 40_000]]) b.add(v, t, true);
  const m = new Moments();
  m.merge(a);
  m.merge(b);
  assertEquals(m.value("delta"), 60 + 30 + 20 + 5);
  assertEquals(m.value("rate"), 115 / 40);
});

Deno.test("moments delta of a gauge is last minus first", () => {
  const m = new Moments();
  for (const [v, t] of [[10, 0], [4, 1000], [8, 3000]]) m.add(v, t, false);
  assertEquals(m.value("delta"), -2);
  assertEquals(m.value("rate"), -2 / 3);
});

Deno.test("moments rate is undefined over no time", () => {
  const m = new Moments();
  m.add(1, 5, true);
  m.add(2, 5, true);
  assertEquals(m.value("rate"), undefined);
  assertEquals(m.value("delta"), 1);
});

Deno.test("moments points out of order are not taken for a counter reset", () => {
  const of = (points: [number, number][], counter = true) => {
    const m = new Moments();
    for (const [t, v] of points) m.add(v, t, counter);
    return { delta: m.value("delta"), rate: m.value("rate"), count: m.count, sum: m.sum };
  };
  // The review's case: t=2000 first, then t=0.
  assertEquals(of([[2000, 110], [0, 100]]), { delta: 10, rate: 5, count: 2, sum: 210 });
  assertEquals(of([[2000, 110], [0, 100]]), of([[0, 100], [2000, 110]]));
  // A point between the first and the last counts, and leaves the increase alone.
  assertEquals(of([[0, 100], [3000, 130], [1000, 110]]), {
    delta: 30,
    rate: 10,
    count: 3,
    sum: 340,
  });
  // A real reset still counts when the older point comes second: 100 → restart → 5.
  assertEquals(of([[2000, 5], [0, 100]]).delta, 5);
  // Gauges: last minus first by time.
  assertEquals(of([[2000, 5], [0, 1]], false).delta, 4);
});
