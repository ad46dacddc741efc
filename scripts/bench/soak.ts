/**
 * Soak benchmark: runs the collector in-process for a long time with 1,000
 * series per second through the export pipeline (series store, OTel SDK,
 * Prometheus scrapes, OTLP pushes to a local sink) while one source flaps
 * (its circuit breaker opens and closes), and reports RSS growth after
 * warm-up, collection lateness p99 and CPU time.
 *
 * Usage:
 *   deno run -A scripts/bench/soak.ts [--minutes 10] [--self-metrics on|off] [--out FILE]
 *   deno run -A scripts/bench/soak.ts --pair [--minutes 10]   # both modes side by side, one table
 *
 * `--pair` runs the two modes as two processes at the same time, so that
 * the load other engineers put on the machine hits both alike; the
 * self-monitoring overhead is the ratio of their CPU time.
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { z } from "zod";
import { Agent, buildDocumentSchema } from "../../src/agent/mod.ts";
import {
  createLogger,
  Redactor,
  type Source,
  type SourceKind,
  systemClock,
} from "../../src/core/mod.ts";
import { platform } from "../../src/runtime/mod.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    minutes: { type: "string", default: "10" },
    "self-metrics": { type: "string", default: "on" },
    out: { type: "string" },
    pair: { type: "boolean", default: false },
  },
});
const minutes = Number(args.minutes);
const durationMs = minutes * 60_000;
const warmupMs = Math.min(60_000, durationMs / 5);

interface Result {
  selfMetrics: boolean;
  minutes: number;
  series_per_s: number;
  otlp_aborted: number;
  aggregate_series: number;
  aggregate_bytes: number;
  exported_p99_series_of_gen0: number;
  rss_after_warmup_mib: number;
  rss_end_mib: number;
  rss_growth_pct: number;
  rss_max_mib: number;
  /** RSS at the end of each minute. */
  rss_by_minute_mib: number[];
  heap_after_warmup_mib: number;
  heap_end_mib: number;
  lateness_p50_ms: number;
  lateness_p99_ms: number;
  lateness_max_ms: number;
  collections: number;
  flap_breaker_transitions: number;
  flap_skipped: number;
  cpu_s: number;
  scrapes: number;
  otlp_posts: number;
  exported_ok: number;
}

async function pair(): Promise<void> {
  const self = new URL(import.meta.url).pathname;
  const runOne = (mode: string) =>
    new Promise<Result>((resolve, reject) => {
      const child = spawn(process.execPath, [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        self,
        "--minutes",
        String(minutes),
        "--self-metrics",
        mode,
      ], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.on("close", (code) => {
        if (code !== 0) return reject(new Error(`soak ${mode} exited ${code}`));
        resolve(JSON.parse(out.slice(out.indexOf("{"))) as Result);
      });
    });
  const [on, off] = await Promise.all([runOne("on"), runOne("off")]);
  const rows: [string, (r: Result) => string][] = [
    ["RSS after GC, after warm-up (MiB)", (r) => r.rss_after_warmup_mib.toFixed(1)],
    ["RSS after GC, at end (MiB)", (r) => r.rss_end_mib.toFixed(1)],
    ["RSS growth after warm-up", (r) => `${r.rss_growth_pct.toFixed(2)}%`],
    ["RSS max (MiB)", (r) => r.rss_max_mib.toFixed(1)],
    ["RSS after GC at the end of each minute (MiB)", (r) => r.rss_by_minute_mib.join(", ")],
    [
      "JS heap after GC, after warm-up / at end (MiB)",
      (r) => `${r.heap_after_warmup_mib.toFixed(1)} / ${r.heap_end_mib.toFixed(1)}`,
    ],
    [
      "collection lateness p50 / p99 / max (ms)",
      (r) => `${r.lateness_p50_ms} / ${r.lateness_p99_ms} / ${r.lateness_max_ms}`,
    ],
    ["collections", (r) => String(r.collections)],
    [
      "flapping source: breaker transitions / skipped runs",
      (r) => `${r.flap_breaker_transitions} / ${r.flap_skipped}`,
    ],
    [
      "Prometheus scrapes / OTLP posts received / cut off by the exporter's timeout",
      (r) => `${r.scrapes} / ${r.otlp_posts} / ${r.otlp_aborted}`,
    ],
    [
      "aggregate series held / approx. bytes / gen0 p99 series exported at end",
      (r) => `${r.aggregate_series} / ${r.aggregate_bytes} / ${r.exported_p99_series_of_gen0}`,
    ],
    ["CPU time (s)", (r) => r.cpu_s.toFixed(1)],
  ];
  console.log(
    `| ${minutes} min, ${on.series_per_s} series/s | self-monitoring on | self-monitoring off |`,
  );
  console.log("| --- | --- | --- |");
  for (const [label, f] of rows) console.log(`| ${label} | ${f(on)} | ${f(off)} |`);
  console.log(
    `\nSelf-monitoring overhead: CPU time ratio on/off = ${(on.cpu_s / off.cpu_s).toFixed(3)}`,
  );
}

/** A source kind that reports `series` gauges, or fails in stretches (`flap`). */
const soakKind: SourceKind<{ series: number; flap: boolean }> = {
  type: "soak",
  description: "soak generator",
  fields: { series: z.number().int().default(100), flap: z.boolean().default(false) },
  create(config) {
    let n = 0;
    const src: Source = {
      name: config.name,
      type: "soak",
      start: () => Promise.resolve(),
      collect(acc) {
        n++;
        onCollect(config.name, config.interval);
        // 30 s up, 30 s down: the breaker opens, probes, and closes again.
        if (config.flap && Math.floor(n / 30) % 2 === 1) {
          return Promise.reject(new Error("flapping: down"));
        }
        for (let i = 0; i < config.series; i++) {
          acc.add({
            name: "value",
            value: (n * 7 + i) % 1000,
            attributes: { shard: `s${i % 10}`, item: `i${i}` },
          });
        }
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    };
    return src;
  },
};

const firstRun = new Map<string, number>();
/** Per source: each call's offset from the first call's grid, in (-interval/2, interval/2]. */
const offsets = new Map<string, number[]>();
let collections = 0;
/**
 * The schedule is fixed-rate, so due ticks are anchor + k * interval; ticks
 * an open breaker skips are simply not measured. The anchor is unknown (the
 * first call may itself be late), so offsets are taken from the first call
 * and the lateness of a call is its offset minus the source's smallest one.
 */
function onCollect(name: string, interval: number): void {
  const now = performance.now();
  collections++;
  const t0 = firstRun.get(name);
  if (t0 === undefined) {
    firstRun.set(name, now);
    offsets.set(name, []);
    return;
  }
  let d = (now - t0) % interval;
  if (d > interval / 2) d -= interval;
  offsets.get(name)!.push(d);
}

function lateness(): number[] {
  const out: number[] = [];
  for (const list of offsets.values()) {
    const min = Math.min(...list);
    for (const d of list) out.push(d - min);
  }
  return out;
}

/** RSS after a full GC when the script runs with --expose-gc (the pair mode does), so that samples compare live memory. */
function settledRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return rssMiB();
}

function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] * 100) / 100;
}

async function soak(selfMetrics: boolean): Promise<Result> {
  let otlpPosts = 0;
  let otlpAborted = 0;
  const sink = await platform.serve({
    hostname: "127.0.0.1",
    port: 0,
    handler: async (req) => {
      // A push the exporter gave up on (its timeout) arrives cut off: count it, not crash the sink.
      if (!(await req.arrayBuffer().then(() => true, () => false))) {
        otlpAborted++;
        return new Response(null, { status: 400 });
      }
      otlpPosts++;
      return new Response(new Uint8Array(0), {
        headers: { "content-type": "application/x-protobuf" },
      });
    },
  });
  const sources = Array.from({ length: 10 }, (_, i) => ({
    name: `gen${i}`,
    type: "soak",
    interval: "1s",
    series: 100,
  }));
  sources.push({ name: "flappy", type: "soak", interval: "1s", series: 10, flap: true } as never);
  const doc = buildDocumentSchema([soakKind]).parse({
    custom_metrics: {
      agent: {
        jitter: "1s",
        breaker: { failure_threshold: 3, cooldown: "5s", max_cooldown: "20s" },
      },
      admin: { enabled: false },
      exporters: [
        { type: "prometheus", listen: "127.0.0.1:0" },
        {
          type: "otlp",
          endpoint: `http://127.0.0.1:${sink.port}/v1/metrics`,
          interval: "5s",
          timeout: "4s",
        },
      ],
      sources,
      // 1,000 series through aggregation: sliding percentiles and tumbling stats per series.
      aggregators: [
        {
          source: "gen*.value",
          type: "percentile",
          percentiles: [50, 95, 99],
          window: "1m",
          slide: "10s",
        },
        {
          source: "gen*.value",
          type: "stats",
          stats: ["min", "max", "avg", "count"],
          window: "1m",
        },
      ],
    },
  });
  const agent = new Agent({
    config: doc,
    kinds: [soakKind],
    platform,
    logger: createLogger({ level: "error", write: (l) => console.error(l) }),
    clock: systemClock,
    redactor: new Redactor(),
    selfMetrics,
  });
  await agent.start();
  const url = agent.pipeline.endpoints[0].url;
  let scrapes = 0;
  const scraper = setInterval(async () => {
    const r = await fetch(url).catch(() => undefined);
    await r?.text();
    if (r?.ok) scrapes++;
  }, 5000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let warm = { rss: 0, heap: 0 };
  let rssMax = 0;
  const byMinute: number[] = [];
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - t0;
      rssMax = Math.max(rssMax, rssMiB());
      if (elapsed >= (byMinute.length + 1) * 60_000) {
        byMinute.push(Math.round(settledRss() * 10) / 10);
      }
      if (warm.rss === 0 && elapsed >= warmupMs) {
        warm = { rss: settledRss(), heap: process.memoryUsage().heapUsed / 2 ** 20 };
        for (const list of offsets.values()) list.length = 0; // lateness after warm-up only
      }
      if (elapsed >= durationMs) {
        clearInterval(tick);
        resolve();
      }
    }, 1000);
  });
  const rssEnd = settledRss();
  const heapEnd = process.memoryUsage().heapUsed / 2 ** 20;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(scraper);
  const status = agent.status();
  const flap = status.sources.find((s) => s.name === "flappy")!;
  const exportedOk = status.exporters.find((e) => e.type === "otlp")?.exports ?? 0;
  const aggSeries = status.aggregators.reduce((n, r) => n + r.series, 0);
  const aggBytes = status.aggregators.reduce((n, r) => n + r.bytes, 0);
  const exposition = await (await fetch(url)).text();
  const p99Lines = exposition.split("\n").filter((l) => l.startsWith("gen0_value_p99{")).length;
  await agent.stop();
  await sink.close();
  const sorted = lateness().sort((a, b) => a - b);
  return {
    selfMetrics,
    minutes,
    series_per_s: 10 * 100,
    otlp_aborted: otlpAborted,
    aggregate_series: aggSeries,
    aggregate_bytes: aggBytes,
    exported_p99_series_of_gen0: p99Lines,
    rss_after_warmup_mib: warm.rss,
    rss_end_mib: rssEnd,
    rss_growth_pct: (rssEnd / warm.rss - 1) * 100,
    rss_max_mib: rssMax,
    rss_by_minute_mib: byMinute,
    heap_after_warmup_mib: warm.heap,
    heap_end_mib: heapEnd,
    lateness_p50_ms: pct(sorted, 0.5),
    lateness_p99_ms: pct(sorted, 0.99),
    lateness_max_ms: pct(sorted, 1),
    collections,
    flap_breaker_transitions: flap.breaker?.transitions ?? 0,
    flap_skipped: flap.skipped_open,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    scrapes,
    otlp_posts: otlpPosts,
    exported_ok: exportedOk,
  };
}

if (args.pair) {
  await pair();
} else {
  const r = await soak(args["self-metrics"] !== "off");
  const text = JSON.stringify(r, null, 2);
  if (args.out) await platform.writeTextFile(args.out, text);
  console.log(text);
}
