import { assert, assertEquals } from "../../tests/assert.ts";
import { DDSketch } from "@datadog/sketches-js";
import { createSketch, exactQuantile, type SketchSpec } from "./sketch.ts";
import { DISTRIBUTIONS, exact } from "./testdata/data.ts";

const QS = [0.5, 0.95, 0.99, 0.999];
const SPECS: [SketchSpec, number][] = [
  // [spec, allowed relative error against the exact rank]
  [{ algorithm: "ddsketch", relativeAccuracy: 0.01 }, 0.01 + 1e-9],
  [{ algorithm: "tdigest", compression: 100 }, 0.05],
  [{ algorithm: "exact", maxSamples: 100_000 }, 0],
];

for (const [spec, tolerance] of SPECS) {
  for (const [dist, gen] of Object.entries(DISTRIBUTIONS)) {
    Deno.test(`${spec.algorithm} sketch matches exact quantiles on ${dist} data`, () => {
      const values = gen(20_000);
      const s = createSketch(spec);
      for (const v of values) s.add(v);
      assertEquals(s.count, values.length);
      for (const q of QS) {
        const want = exact(values, q);
        const got = s.quantile(q)!;
        const err = Math.abs(got - want) / Math.abs(want);
        assert(err <= tolerance, `${dist} q=${q}: got ${got}, exact ${want}, error ${err}`);
      }
    });
  }

  Deno.test(`${spec.algorithm} sketch of one sample returns it at every quantile`, () => {
    const s = createSketch(spec);
    s.add(123.5);
    for (const q of [0, 0.5, 0.99, 1]) {
      const got = s.quantile(q)!;
      assert(Math.abs(got - 123.5) / 123.5 <= tolerance, `q=${q}: ${got}`);
    }
  });

  Deno.test(`${spec.algorithm} sketch of an empty window has no quantile`, () => {
    const s = createSketch(spec);
    assertEquals(s.quantile(0.5), undefined);
    assertEquals(s.count, 0);
    s.merge(createSketch(spec));
    assertEquals(s.quantile(0.99), undefined);
  });

  Deno.test(`${spec.algorithm} sketch merged from panes answers like one sketch`, () => {
    const values = DISTRIBUTIONS.skewed(10_000);
    const merged = createSketch(spec);
    for (let p = 0; p < 10; p++) {
      const pane = createSketch(spec);
      for (const v of values.slice(p * 1000, (p + 1) * 1000)) pane.add(v);
      merged.merge(pane);
    }
    assertEquals(merged.count, values.length);
    // npm tdigest recompresses in random order on merge: its p99.9 (10 points of the tail) wanders
    // by up to ~20% between runs, so only ranks it holds steadily are asserted.
    for (const q of spec.algorithm === "tdigest" ? [0.5, 0.95, 0.99] : QS) {
      const want = exact(values, q);
      const err = Math.abs(merged.quantile(q)! - want) / want;
      assert(err <= tolerance, `q=${q}: error ${err}`);
    }
    assert(merged.bytes() > 0);
  });
}

Deno.test("exact sketch refuses values past its cap", () => {
  const s = createSketch({ algorithm: "exact", maxSamples: 3 });
  assertEquals([1, 2, 3, 4].map((v) => s.add(v)), [true, true, true, false]);
  assertEquals(s.count, 3);
  const t = createSketch({ algorithm: "exact", maxSamples: 3 });
  t.add(9);
  t.merge(s);
  assertEquals(t.count, 3);
  assertEquals(t.quantile(1), 9);
  assertEquals(s.bytes() < t.bytes() + 1, true);
});

Deno.test("ddsketch quantile is clamped to the exact min and max", () => {
  const s = createSketch({ algorithm: "ddsketch", relativeAccuracy: 0.05 });
  for (const v of [10, 10, 10]) s.add(v);
  assertEquals(s.quantile(0), 10);
  assertEquals(s.quantile(1), 10);
});

Deno.test("exactQuantile uses the lower nearest rank", () => {
  assertEquals(exactQuantile([1, 2, 3, 4], 0.5), 2);
  assertEquals(exactQuantile([1, 2, 3, 4], 1), 4);
  assertEquals(exactQuantile([7], 0.99), 7);
});

Deno.test("ddsketch pane keeps few values raw and answers as the sketch would", () => {
  const values = DISTRIBUTIONS.skewed(1000);
  const small = createSketch({ algorithm: "ddsketch", relativeAccuracy: 0.01 });
  for (const v of values.slice(0, 10)) small.add(v);
  assert(small.bytes() < 200, `10 values take ${small.bytes()} bytes`);
  const big = createSketch({ algorithm: "ddsketch", relativeAccuracy: 0.01 });
  for (const v of values) big.add(v);
  // Buffered panes merged into a sketched one and the other way round give the same answers.
  const a = createSketch({ algorithm: "ddsketch", relativeAccuracy: 0.01 });
  a.merge(small);
  a.merge(big);
  const b = createSketch({ algorithm: "ddsketch", relativeAccuracy: 0.01 });
  b.merge(big);
  b.merge(small);
  assertEquals(a.count, 1010);
  for (const q of [0.01, 0.5, 0.99]) assertEquals(a.quantile(q), b.quantile(q));
  const all = [...values, ...values.slice(0, 10)];
  const err = Math.abs(a.quantile(0.5)! - exact(all, 0.5)) / exact(all, 0.5);
  assert(err <= 0.01 + 1e-9, `error ${err}`);
});

Deno.test("ddsketch subtract removes merged panes exactly and refuses one never merged", () => {
  const spec: SketchSpec = { algorithm: "ddsketch", relativeAccuracy: 0.01 };
  const gen = DISTRIBUTIONS.skewed(600, 5);
  // Raw (≤ 128 values), dense (> 128), with negatives and zeros.
  const parts = [gen.slice(0, 50), gen.slice(50, 450).map((v, i) => (i % 7 === 0 ? -v : v)), [
    0,
    0,
    -3,
    ...gen.slice(450, 460),
  ]];
  const panes = parts.map((vs) => {
    const p = createSketch(spec);
    for (const v of vs) p.add(v);
    return p;
  });
  const w = createSketch(spec);
  for (const p of panes) w.merge(p);
  assert(w.subtract!(panes[1]));
  w.setRange!(
    ...[panes[0], panes[2]].map((p) => p.range!()).reduce((a, b) => [
      Math.min(a[0], b[0]),
      Math.max(a[1], b[1]),
    ]),
  );
  const want = createSketch(spec);
  want.merge(panes[0]);
  want.merge(panes[2]);
  assertEquals(w.count, want.count);
  for (const q of [0, 0.01, 0.2, 0.5, 0.9, 0.99, 1]) assertEquals(w.quantile(q), want.quantile(q));
  assert(w.subtract!(panes[0]));
  assert(w.subtract!(panes[2]));
  assertEquals([w.count, w.quantile(0.5)], [0, undefined]);
  // A pane whose values were never merged in is refused and nothing changes.
  const other = createSketch(spec);
  other.add(1e9);
  const w2 = createSketch(spec);
  w2.merge(panes[0]);
  assertEquals(w2.subtract!(other), false);
  assertEquals(w2.subtract!(panes[1]), false);
  assertEquals(w2.count, 50);
  assertEquals(w2.range!(), [Math.min(...parts[0]), Math.max(...parts[0])]);
  assertEquals(createSketch(spec).range!(), [Infinity, -Infinity]);
});

Deno.test("ddsketch merge keeps negative values of a dense pane merged into a non-empty one", () => {
  const spec: SketchSpec = { algorithm: "ddsketch", relativeAccuracy: 0.01 };
  const values = DISTRIBUTIONS.uniform(400, 9).map((v, i) => (i % 2 === 0 ? -v : v));
  const a = createSketch(spec);
  const b = createSketch(spec);
  for (const v of values.slice(0, 200)) a.add(v); // both past the raw buffer: dense sketches
  for (const v of values.slice(200)) b.add(v);
  a.merge(b);
  assertEquals(a.count, 400);
  for (const q of [0.05, 0.25, 0.5, 0.75, 0.95]) {
    const want = exact(values, q);
    const err = Math.abs(a.quantile(q)! - want) / Math.abs(want);
    assert(err <= 0.01 + 1e-9, `q=${q}: got ${a.quantile(q)}, exact ${want}`);
  }
});

Deno.test("ddsketch pane compacts its codes when complete and still takes late values", () => {
  const spec: SketchSpec = { algorithm: "ddsketch", relativeAccuracy: 0.01 };
  const values = DISTRIBUTIONS.bimodal(100, 4);
  const p = createSketch(spec);
  for (const v of values) p.add(v);
  const full = p.bytes();
  p.compact!();
  assertEquals([full - p.bytes(), p.count], [4 * 28, 100]); // 128 slots → 100
  p.add(-7);
  p.add(0);
  // The library fed the values themselves answers the same (clamped to the exact range).
  const all = [...values, -7, 0, ...new Array(200).fill(1)];
  const lib = new DDSketch({ relativeAccuracy: 0.01 });
  for (const v of all) lib.accept(v);
  for (let i = 0; i < 200; i++) p.add(1);
  for (const q of [0, 0.001, 0.005, 0.3, 0.6, 0.99, 1]) {
    const want = Math.min(lib.max, Math.max(lib.min, lib.getValueAtQuantile(q)));
    assertEquals(p.quantile(q), want, `q=${q}`);
  }
  assertEquals(p.range!(), [-7, Math.max(...values)]);
});
