/**
 * Aggregation benchmark: ingest rate through the engine (one series and
 * 10,000 series) against pushing the same values into npm `tdigest`
 * directly; p50/p95/p99 error of each algorithm against the exact answer;
 * memory per series-pane and RSS for 10,000 series with a 5-minute sliding
 * window of 10 panes (measured in a fresh child process, against that
 * process's own RSS before it filled the windows).
 *
 *   deno run -A --v8-flags=--expose-gc scripts/bench/aggregate.ts
 *   node_modules/bun/bin/bun.exe scripts/bench/aggregate.ts
 * @module
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
// @ts-types="../../src/aggregate/_tdigest.d.ts"
import tdigest from "tdigest";
import { AggregationEngine, aggregatorSchema, resolveRules } from "../../src/aggregate/mod.ts";
import type { Sample } from "../../src/core/mod.ts";
import { DISTRIBUTIONS, exact } from "../../src/aggregate/testdata/data.ts";

const WINDOW = 300_000;
const gc = (globalThis as { gc?: () => void }).gc ??
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc.bind(null, true);

function engineFor(table: Record<string, unknown>): AggregationEngine {
  return new AggregationEngine(resolveRules([aggregatorSchema.parse(table)], { window: WINDOW }));
}

/** Samples as a source delivers them: one object (and attributes object) each. */
function samples(values: number[], series: number, t0 = 0): Sample[] {
  return values.map((value, i): Sample => ({
    name: "api.latency",
    value,
    type: "gauge",
    attributes: series > 1 ? { host: `h${i % series}` } : {} as Record<string, string>,
    timestamp: t0 + Math.floor((i / values.length) * (WINDOW - 1)),
  }));
}

/** Best time of each side over `rounds`, alternating them so that load from other processes hits both alike. */
function race(a: () => void, b: () => void, rounds = 7): [number, number] {
  let ta = Infinity;
  let tb = Infinity;
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    a();
    ta = Math.min(ta, performance.now() - t0);
    t0 = performance.now();
    b();
    tb = Math.min(tb, performance.now() - t0);
  }
  return [ta, tb];
}

function ingest(n: number, series: number) {
  const values = DISTRIBUTIONS.skewed(n);
  const batch = samples(values, series);
  const [engineMs, tdMs] = race(() => {
    const e = engineFor({ source: "api.latency", type: "percentile", window: "5m" });
    for (let i = 0; i < batch.length; i += 1000) e.ingest(batch.slice(i, i + 1000));
  }, () => {
    const ds = Array.from({ length: series }, () => new tdigest.TDigest());
    for (let i = 0; i < values.length; i++) ds[i % series].push(values[i]);
  });
  return { n, series, engine: n / engineMs / 1000, tdigest: n / tdMs / 1000 };
}

function accuracy(n: number) {
  const out: Record<string, number[]> = {};
  const values = DISTRIBUTIONS.skewed(n, 7);
  for (const algorithm of ["ddsketch", "tdigest", "exact"]) {
    const e = engineFor({
      source: "api.latency",
      type: "percentile",
      percentiles: [50, 95, 99],
      window: "5m",
      algorithm,
      ...(algorithm === "exact" ? { max_samples: n } : {}),
    });
    e.ingest(samples(values, 1));
    const got = e.read(WINDOW).samples;
    out[algorithm] = [0.5, 0.95, 0.99].map((q, i) => {
      const want = exact(values, q);
      return Math.abs(got[i].value - want) / want;
    });
  }
  return out;
}

/**
 * Feeds one pane's values (every series, `perPane` values each) at time `t`:
 * in fresh `Sample` objects as sources deliver them, or with `reuse`, in
 * 10,000 objects rewritten per batch (the engine keeps none of them), so
 * that RSS shows the engine's state rather than the feeder's garbage.
 */
function fillPane(
  e: AggregationEngine,
  values: number[],
  series: number,
  t: number,
  reuse: boolean,
) {
  if (reuse) {
    const batch = reusable ??= Array.from({ length: 10_000 }, (): Sample => ({
      name: "api.latency",
      value: 0,
      type: "gauge",
      attributes: {},
      timestamp: 0,
    }));
    const attrs = hosts ??= Array.from({ length: series }, (_, h) => ({ host: `h${h}` }));
    for (let i = 0; i < values.length; i += 10_000) {
      const n = Math.min(10_000, values.length - i);
      for (let j = 0; j < n; j++) {
        const s = batch[j];
        s.value = values[i + j];
        s.timestamp = t;
        s.attributes = attrs[(i + j) % series];
      }
      e.ingest(n === batch.length ? batch : batch.slice(0, n));
    }
    return;
  }
  for (let i = 0; i < values.length; i += 10_000) {
    e.ingest(
      values.slice(i, i + 10_000).map((value, j) => ({
        name: "api.latency",
        value,
        type: "gauge" as const,
        attributes: { host: `h${(i + j) % series}` },
        timestamp: t,
      })),
    );
  }
}

let reusable: Sample[] | undefined;
let hosts: Record<string, string>[] | undefined;

/**
 * Runs `read` from a timer while a 1 ms interval ticks, and returns the
 * longest gap between ticks: how long the event loop was blocked.
 */
async function blocking(read: () => void): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const tick = setInterval(() => {
    const t = performance.now();
    worst = Math.max(worst, t - last);
    last = t;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  worst = 0;
  last = performance.now();
  await new Promise<void>((r) => setTimeout(() => (read(), r()), 5));
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(tick);
  return worst;
}

/**
 * Child: fills `series` × 10 panes, reads the whole window (the first read
 * after a start merges every pane), then fills the next pane and reads the
 * window again (every later close); prints what it measured as JSON.
 */
async function memoryChild(algorithm: string, perPane: number, series: number, reuse: boolean) {
  gc?.();
  const before = process.memoryUsage();
  const e = engineFor({
    source: "api.latency",
    type: "percentile",
    window: "5m",
    panes: 10,
    algorithm,
  });
  const values = DISTRIBUTIONS.skewed(series * perPane, 11);
  for (let pane = 0; pane < 10; pane++) fillPane(e, values, series, pane * 30_000 + 1, reuse);
  gc?.();
  const filled = process.memoryUsage();
  const read0 = performance.now();
  const out = e.read(WINDOW).samples.length;
  const readMs = performance.now() - read0;
  gc?.();
  const after = process.memoryUsage();
  const [st] = e.stats();
  fillPane(e, values, series, 10 * 30_000 + 1, reuse);
  let nextMs = 0;
  const blockedMs = await blocking(() => {
    const t0 = performance.now();
    e.read(WINDOW + 30_000);
    nextMs = performance.now() - t0;
  });
  gc?.();
  const rssEnd = process.memoryUsage().rss;
  console.log(JSON.stringify({
    algorithm,
    perPane,
    reuse,
    series: st.series,
    outputs: out,
    readMs,
    nextMs,
    blockedMs,
    rssBeforeMiB: before.rss / 2 ** 20,
    rssFilledMiB: filled.rss / 2 ** 20,
    rssAfterMiB: after.rss / 2 ** 20,
    rssEndMiB: rssEnd / 2 ** 20,
    heapPerSeriesPane: (after.heapUsed - before.heapUsed) / (series * 10),
    /** Typed arrays' memory is outside the heap. */
    externalPerSeriesPane: (after.external - before.external) / (series * 10),
    estimatedPerSeriesPane: st.bytes / (series * 10),
  }));
}

function memory(algorithm: string, perPane: number, series: number, reuse: boolean) {
  const self = new URL(import.meta.url).pathname;
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
  const rest = [algorithm, String(perPane), String(series), reuse ? "reuse" : "fresh"];
  const args = isBun ? [self, "memory", ...rest] : [
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    self,
    "memory",
    ...rest,
  ];
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

if (process.argv.includes("memory")) {
  const i = process.argv.indexOf("memory");
  await memoryChild(
    process.argv[i + 1],
    Number(process.argv[i + 2]),
    Number(process.argv[i + 3]),
    process.argv[i + 4] === "reuse",
  );
} else {
  const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
  console.log(`## ${runtime}`);
  console.log(
    "\n| series | values | engine (M values/s) | npm tdigest direct (M values/s) | ratio |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: |");
  for (const [n, series] of [[1_000_000, 1], [1_000_000, 10_000]]) {
    const r = ingest(n, series);
    console.log(
      `| ${series} | ${n} | ${r.engine.toFixed(2)} | ${r.tdigest.toFixed(2)} | ${
        (r.engine / r.tdigest).toFixed(2)
      }× |`,
    );
  }
  console.log("\n| algorithm | p50 error | p95 error | p99 error |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [alg, errs] of Object.entries(accuracy(1_000_000))) {
    console.log(`| ${alg} | ${errs.map((e) => `${(e * 100).toFixed(3)}%`).join(" | ")} |`);
  }
  console.log(
    "\n| algorithm | series × 10 panes | values per series-pane | samples fed | heap + typed arrays per series-pane (B) | engine's estimate (B) | RSS before → filled → next close (MiB) | first read (ms) | next close: read (ms) | event loop blocked (ms) |",
  );
  console.log("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  const cases = [
    ["ddsketch", 1, 10_000, false],
    ["ddsketch", 10, 10_000, false],
    ["ddsketch", 100, 10_000, false],
    ["ddsketch", 100, 10_000, true],
    ["tdigest", 100, 1_000, false],
  ] as const;
  for (const [alg, perPane, series, reuse] of cases) {
    const m = memory(alg, perPane, series, reuse);
    console.log(
      `| ${alg} | ${series} | ${perPane} | ${reuse ? "reused" : "fresh"} | ${
        Math.round(m.heapPerSeriesPane + m.externalPerSeriesPane)
      } | ${Math.round(m.estimatedPerSeriesPane)} | ${m.rssBeforeMiB.toFixed(0)} → ${
        m.rssAfterMiB.toFixed(0)
      } → ${m.rssEndMiB.toFixed(0)} | ${m.readMs.toFixed(0)} | ${m.nextMs.toFixed(0)} | ${
        m.blockedMs.toFixed(0)
      } |`,
    );
  }
}
