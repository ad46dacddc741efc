/**
 * The agent's per-sample path, stage by stage, in one process: what it
 * costs to deliver one collection of a source after the source has made its
 * samples. Stages, each timed alone with `process.cpuUsage()`:
 *
 * - `accumulator`: a `CollectingAccumulator` per collection, `add` per sample,
 *   `close` (name qualification, checks, static attributes);
 * - `store`: `SeriesStore.write` of the batch with no-op hooks (checks,
 *   Prometheus identity, series keys, replacement);
 * - `pipeline`: `ExportPipeline.write` of the batch, Prometheus only (the store
 *   plus the OTel instruments) and the duration histogram sample the agent
 *   writes after every collection;
 * - `scrape`: `prometheusText()` of the resulting state, per sample it holds.
 *
 * The baseline (`copy`) builds the same sample objects by hand, once each:
 * the least any collector does per sample. With `--before <dir>` the same
 * stages also run from another checkout (e.g. `git archive` of the previous
 * commit into `<dir>`), interleaved round by round with this one, so both
 * sides see the same machine load.
 *
 * Usage: deno run -A scripts/bench/agent_path.ts [--before DIR] [--rounds 30] [--batch 50]
 * @module
 */
import process from "node:process";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ROUNDS = Number(arg("--rounds", "30"));
const BATCH = Number(arg("--batch", "50"));
const REPS = Number(arg("--reps", "200"));
const BEFORE = arg("--before", "");
const ROOT = new URL("../../", import.meta.url).pathname;

interface Impl {
  label: string;
  stages: Record<string, () => number>;
  text: () => Promise<string>;
}

async function load(root: string, label: string): Promise<Impl> {
  const url = (p: string) => new URL(p, `file://${root.endsWith("/") ? root : `${root}/`}`).href;
  const { CollectingAccumulator } = await import(url("src/agent/accumulator.ts"));
  const { SeriesStore } = await import(url("src/export/series_store.ts"));
  const exp = await import(url("src/export/mod.ts"));
  const { platform } = await import(url("src/runtime/mod.ts"));
  const logger = silentLogger();
  const pipeline = exp.createExportPipeline({
    exporters: [exp.exporterSchema.parse({ type: "prometheus", listen: "127.0.0.1:0" })],
    resource: exp.resourceSchema.parse({}),
    platform,
    logger,
  });
  const hooks = { define() {}, record() {} };
  const store = new SeriesStore({ maxSeriesPerMetric: 10_000 });
  const attributes = { db: "bench", env: "prod" };
  let t = 0;
  const collect = (source: string) => {
    const acc = new CollectingAccumulator({
      source,
      attributes,
      defaultType: "gauge",
      now: () => t,
      maxSamples: 10_000,
      redact: (s: string) => s,
    });
    for (let i = 0; i < BATCH; i++) {
      acc.add({ name: `q${i}.n`, value: i + (t & 7), attributes: { query: `q${i}` } });
    }
    acc.close();
    return acc.samples;
  };
  const batch = collect("db");
  return {
    label,
    stages: {
      accumulator() {
        for (let r = 0; r < REPS; r++) {
          t++;
          collect("db");
        }
        return REPS * BATCH;
      },
      store() {
        for (let r = 0; r < REPS; r++) store.write("db", batch, hooks);
        return REPS * BATCH;
      },
      pipeline() {
        for (let r = 0; r < REPS; r++) {
          pipeline.write("db", batch);
          pipeline.write("sextant.durations", [{
            name: "sextant.source.collection_duration",
            value: 1.5,
            type: "histogram",
            attributes: { source: "db" },
            timestamp: t,
            unit: "ms",
          }]);
        }
        return REPS * BATCH;
      },
    },
    text: () => pipeline.prometheusText(),
  };
}

function silentLogger() {
  const l = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child: () => l,
  };
  return l;
}

/** The baseline: the same sample objects, built by hand. */
function copy(): number {
  const out: unknown[] = [];
  const attributes = { db: "bench", env: "prod" };
  for (let r = 0; r < REPS; r++) {
    out.length = 0;
    for (let i = 0; i < BATCH; i++) {
      out.push({
        name: `db.q${i}.n`,
        value: i,
        type: "gauge",
        attributes: { ...attributes, query: `q${i}` },
        timestamp: r,
      });
    }
  }
  return REPS * BATCH;
}

function cpuMicros(fn: () => number): number {
  const c0 = process.cpuUsage();
  const n = fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

async function scrapeMicros(impl: Impl): Promise<number> {
  const render = impl.text;
  const c0 = process.cpuUsage();
  const n = 20;
  for (let i = 0; i < n; i++) await render();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n / (BATCH + 1);
}

const impls = [await load(ROOT, "this")];
if (BEFORE) impls.push(await load(BEFORE, "before"));
const STAGES = ["accumulator", "store", "pipeline"];
const results = new Map<string, number[]>();
const put = (k: string, v: number) => results.set(k, [...(results.get(k) ?? []), v]);
// Warm-up: let the JIT settle.
for (const impl of impls) for (const s of STAGES) impl.stages[s]();
copy();
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? impls : [...impls].reverse();
  put("copy", cpuMicros(copy));
  for (const impl of order) {
    for (const s of STAGES) put(`${impl.label}.${s}`, cpuMicros(impl.stages[s]));
    put(`${impl.label}.scrape`, await scrapeMicros(impl));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)];
const base = median(results.get("copy")!);
console.log(
  `\n${
    new Date().toISOString()
  } · ${ROUNDS} rounds · batch ${BATCH} · ${REPS} collections per measure\n`,
);
console.log("| stage | µs per sample, median (p25-p75) | vs copy baseline |");
console.log("| --- | ---: | ---: |");
console.log(`| copy (baseline) | ${base.toFixed(3)} | 1.00× |`);
const json: Record<string, number> = { copy: base };
for (const impl of impls) {
  for (const s of [...STAGES, "scrape"]) {
    const xs = results.get(`${impl.label}.${s}`)!;
    const m = median(xs);
    json[`${impl.label}.${s}`] = m;
    console.log(
      `| ${impl.label}: ${s} | ${m.toFixed(3)} (${q(xs, 0.25).toFixed(3)}-${
        q(xs, 0.75).toFixed(3)
      }) | ${(m / base).toFixed(2)}× |`,
    );
  }
}
if (BEFORE) {
  console.log("\n| stage | this / before |\n| --- | ---: |");
  for (const s of [...STAGES, "scrape"]) {
    // Ratio of medians of per-round ratios is steadier under load than ratio of medians.
    const a = results.get(`this.${s}`)!;
    const b = results.get(`before.${s}`)!;
    const ratios = a.map((x, i) => x / b[i]);
    console.log(`| ${s} | ${median(ratios).toFixed(2)}× |`);
  }
}
console.log(`\n${JSON.stringify(json)}`);
process.exit(0);
