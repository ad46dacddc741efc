/**
 * The agent: builds sources from a validated configuration, schedules
 * them, sends what they collect to the export pipeline, reports on itself,
 * and shuts everything down within a bound.
 * @module
 */
import {
  type Clock,
  errorMessage,
  type Logger,
  type Platform,
  type Redactor,
  type Sample,
  type SourceKind,
  VERSION,
} from "../core/mod.ts";
import {
  createExportPipeline,
  DEFAULT_EXPORTERS,
  type ExporterStatus,
  type ExportPipeline,
} from "../export/mod.ts";
import { BREAKER_STATE_VALUE } from "../resilience/mod.ts";
import { type Bottleneck, rankBottlenecks } from "./bottlenecks.ts";
import { degrade } from "./degrade.ts";
import { type ProcessHealth, SelfMonitor } from "./monitor.ts";
import { type Document, resolveSource, type SourceTable } from "./schema.ts";
import { Scheduler } from "./scheduler.ts";
import { registerSecrets } from "./secrets.ts";
import { type CollectionResult, SourceRunner, type SourceStatus } from "./runner.ts";

/** Options of {@linkcode Agent}. */
export interface AgentOptions {
  config: Document;
  kinds: readonly SourceKind[];
  platform: Platform;
  logger: Logger;
  clock: Clock;
  redactor: Redactor;
  /** Config files in use, for `/status`. */
  files?: string[];
  /** Directory that relative paths of the source at `index` resolve against. */
  baseDirOf?: (index: number) => string;
  writeConsole?: (line: string) => void;
  /** Use these exporters instead of the configured ones (`once` passes none). */
  exporters?: Document["custom_metrics"]["exporters"];
  /** Report `sextant.*` self-metrics. @default {true} */
  selfMetrics?: boolean;
}

/** The JSON document of `GET /status`. */
export interface AgentStatus {
  version: string;
  runtime: { name: string; version: string };
  pid: number;
  started_at?: number;
  uptime_s: number;
  ready: boolean;
  config_files: string[];
  sources: SourceStatus[];
  exporters: ExporterStatus[];
  plugins: unknown[];
  /** Event-loop lag and memory against the limits. */
  process: ProcessHealth;
  /** Series the export pipeline holds. */
  series: { live: number; dead: number; metrics: number };
  bottlenecks: Bottleneck[];
  /** One-line hints about the process as a whole (event loop, memory, exporters). */
  hints: string[];
}

/** Runs a configuration. */
export class Agent {
  readonly pipeline: ExportPipeline;
  #o: AgentOptions;
  #log: Logger;
  #runners = new Map<string, SourceRunner>();
  #scheduler: Scheduler;
  #startedAt?: number;
  #ready = false;
  #stopping?: Promise<void>;
  #rejected = 0;
  #monitor: SelfMonitor;
  /** Set above the soft memory limit: sources may not add series. */
  #refuseNew = false;
  #droppedStates = 0;
  #selfWrittenAt?: number;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#log = options.logger.child("agent");
    const cm = options.config.custom_metrics;
    const exporters = options.exporters ?? cm.exporters ?? DEFAULT_EXPORTERS;
    registerSecrets(options.config, options.kinds, options.redactor);
    this.pipeline = createExportPipeline({
      exporters,
      // The final export gets what is left after collections in flight had their share.
      stopTimeout: Math.max(
        100,
        Math.floor(cm.agent.shutdown_timeout * (1 - STOP_GRACE_SHARE)) - STOP_MARGIN_MS,
      ),
      resource: cm.resource,
      platform: options.platform,
      logger: options.logger.child("export"),
      writeConsole: options.writeConsole,
    });
    this.#scheduler = new Scheduler({
      clock: options.clock,
      jitter: cm.agent.jitter,
      onOverrun: (name, skipped) => this.#runners.get(name)?.noteOverrun(skipped),
    });
    this.#monitor = new SelfMonitor({
      clock: options.clock,
      platform: options.platform,
      logger: options.logger.child("monitor"),
      limits: cm.limits,
      onPressure: (level) => this.#onPressure(level),
      onRelief: () => {
        this.#refuseNew = false;
        this.pipeline.relieve();
      },
    });
    cm.sources.forEach((table, index) => {
      if (!table.enabled) return;
      const runner = this.#buildRunner(table as SourceTable, index);
      if (runner) this.#runners.set(table.name, runner);
    });
  }

  #buildRunner(table: SourceTable, index: number): SourceRunner | undefined {
    const o = this.#o;
    const kind = o.kinds.find((k) => k.type === table.type);
    if (!kind) throw new Error(`no source kind ${JSON.stringify(table.type)}`); // the schema rules this out
    const config = resolveSource(table, o.config.custom_metrics.agent);
    const logger = o.logger.child(`source.${config.name}`);
    const source = kind.create(config as never, {
      logger,
      platform: o.platform,
      clock: o.clock,
      redactor: o.redactor,
      baseDir: o.baseDirOf?.(index) ?? o.platform.cwd(),
    });
    return new SourceRunner(config, source, {
      clock: o.clock,
      logger,
      redactor: o.redactor,
      startTimeout: o.config.custom_metrics.agent.start_timeout,
    });
  }

  /** Soft: refuse new series, shrink buffers. Hard: also drop the largest state and report it. */
  #onPressure(level: "soft" | "hard"): void {
    this.#refuseNew = true;
    this.pipeline.shrink();
    if (level !== "hard") return;
    let largest: SourceRunner | undefined;
    for (const r of this.#runners.values()) {
      if (!largest || r.status().series > largest.status().series) largest = r;
    }
    if (!largest || largest.status().series === 0) return;
    const series = largest.status().series;
    largest.dropState();
    this.pipeline.write(largest.config.name, []);
    largest.setServing("none", 0);
    this.#droppedStates++;
    this.#log.error("memory above the hard limit: dropped the largest state", {
      source: largest.config.name,
      series,
    });
  }

  /** Names of the enabled sources. */
  get sourceNames(): string[] {
    return [...this.#runners.keys()];
  }

  /** Binds the exporters' listeners and starts scheduling. Rejects (after cleaning up) when a listener cannot bind. */
  async start(): Promise<void> {
    await this.pipeline.start();
    this.#startedAt = this.#o.clock.now();
    for (const runner of this.#runners.values()) {
      this.#scheduler.add({
        name: runner.config.name,
        interval: runner.config.interval,
        timeout: runner.config.timeout,
        run: async (signal) => {
          // An aborted run's source work may still be winding down (a command in its kill grace): never overlap it.
          if (runner.busy) return runner.noteOverrun(1);
          this.#deliver(runner, await runner.collect(signal, { refuseNewSeries: this.#refuseNew }));
        },
      });
    }
    this.#monitor.start();
    this.#ready = true;
    for (const e of this.pipeline.endpoints) {
      this.#log.info("exporter listening", { exporter: e.name, url: e.url });
    }
    this.#log.info("agent started", { sources: this.#runners.size, version: VERSION });
  }

  /** One collection of every source, concurrently, each under its timeout; then stops the sources. */
  async collectOnce(): Promise<CollectionResult[]> {
    const results = await Promise.all([...this.#runners.values()].map(async (runner) => {
      const signal = AbortSignal.timeout(runner.config.timeout);
      const result = await runner.collect(signal);
      this.#deliver(runner, result);
      return result;
    }));
    await Promise.all([...this.#runners.values()].map((r) => r.stop()));
    return results;
  }

  #deliver(runner: SourceRunner, result: CollectionResult): void {
    const served = degrade(runner, result, (n) => this.#runners.get(n), this.#o.clock.now());
    const { rejected } = this.pipeline.write(result.source, served.samples);
    runner.setServing(served.serving, served.samples.length - rejected.length);
    for (const r of rejected) {
      this.#rejected++;
      result.errors.push({
        source: result.source,
        item: r.sample.name,
        message: `not exported: ${r.reason}`,
      });
    }
    if (this.#o.selfMetrics !== false) this.#writeSelf(result);
  }

  /**
   * The duration histogram goes out with every run; the gauges and counters
   * of every source at most once per {@linkcode SELF_METRICS_GAP_MS}, so that
   * many sources do not cost a full snapshot per run each (measured in the soak).
   */
  #writeSelf(result: CollectionResult): void {
    const clock = this.#o.clock;
    if (!result.skipped) {
      this.pipeline.write("sextant.durations", [{
        name: "sextant.source.collection_duration",
        value: result.durationMs,
        type: "histogram",
        attributes: { source: result.source },
        timestamp: clock.now(),
        unit: "ms",
      }]);
    }
    const now = clock.monotonic();
    if (this.#selfWrittenAt !== undefined && now - this.#selfWrittenAt < SELF_METRICS_GAP_MS) {
      return;
    }
    this.#selfWrittenAt = now;
    this.pipeline.write("sextant", this.#selfSamples());
  }

  #selfSamples(): Sample[] {
    const now = this.#o.clock.now();
    const out: Sample[] = [];
    const add = (
      name: string,
      value: number,
      type: Sample["type"],
      attributes: Record<string, string>,
      unit?: string,
    ) =>
      out.push({
        name: `sextant.${name}`,
        value,
        type,
        attributes,
        timestamp: now,
        ...(unit ? { unit } : {}),
      });
    for (const r of this.#runners.values()) {
      const s = r.status();
      const a = { source: s.name, type: s.type };
      add("source.up", s.state === "ok" || s.state === "partial" ? 1 : 0, "gauge", a);
      add("source.collections", s.collections, "counter", a);
      add("source.failures", s.failures, "counter", a);
      add("source.timeouts", s.timeouts, "counter", a);
      add("source.overruns", s.overruns, "counter", a);
      add("source.samples", s.last_samples, "gauge", a);
      add("source.series", s.series, "gauge", a);
      add("source.dropped_samples", s.dropped_samples, "counter", a);
      // A plugin host (or any source) that restarts its worker or process says so in details().
      const restarts = s.details?.restarts;
      if (typeof restarts === "number") add("source.restarts", restarts, "counter", a);
      if (s.breaker) {
        add("source.breaker_state", BREAKER_STATE_VALUE[s.breaker.state], "gauge", a);
        add("source.breaker_transitions", s.breaker.transitions, "counter", a);
        add("source.breaker_skipped", s.skipped_open, "counter", a);
      }
    }
    add("export.rejected", this.#rejected, "counter", {});
    for (const e of this.pipeline.status()) {
      if (e.queue === undefined) continue;
      const a = { exporter: e.name };
      add("exporter.queue_size", e.queue.size, "gauge", a);
      add("exporter.queue_capacity", e.queue.capacity, "gauge", a);
      add("exporter.dropped_batches", e.queue.dropped_batches, "counter", a);
      add("exporter.dropped_points", e.queue.dropped_points, "counter", a);
      add("exporter.failures", e.failures, "counter", a);
    }
    const series = this.pipeline.inspect();
    add("series.live", series.liveSeries, "gauge", {});
    add("series.dead", series.deadSeries, "gauge", {});
    add("event_loop.lag", this.#monitor.lastLag, "gauge", {}, "ms");
    add("memory.dropped_states", this.#droppedStates, "counter", {});
    const mem = this.#o.platform.memoryUsage();
    add("process.rss", mem.rss, "gauge", {}, "By");
    add("process.heap_used", mem.heapUsed, "gauge", {}, "By");
    return out;
  }

  /** The status document. */
  status(): AgentStatus {
    const p = this.#o.platform;
    const sources = [...this.#runners.values()].map((r) => r.status());
    const exporters = this.pipeline.status();
    const health = this.#monitor.health();
    const { bottlenecks, hints } = rankBottlenecks(sources, exporters, health);
    const inspect = this.pipeline.inspect();
    return {
      version: VERSION,
      runtime: { name: p.name, version: p.version },
      pid: p.pid,
      started_at: this.#startedAt,
      uptime_s: this.#startedAt === undefined
        ? 0
        : Math.round((this.#o.clock.now() - this.#startedAt) / 1000),
      ready: this.#ready,
      config_files: this.#o.files ?? [],
      sources,
      exporters,
      plugins: [],
      process: health,
      series: { live: inspect.liveSeries, dead: inspect.deadSeries, metrics: inspect.metrics },
      bottlenecks,
      hints,
    };
  }

  /** Whether the agent has started and not begun stopping. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Graceful shutdown: finishes or aborts runs, stops sources, flushes exporters. Safe to call twice. */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  async #stop(): Promise<void> {
    this.#ready = false;
    this.#monitor.stop();
    const clock = this.#o.clock;
    const budget = this.#o.config.custom_metrics.agent.shutdown_timeout;
    const t0 = clock.monotonic();
    // 40% of the budget lets collections in flight finish; the rest bounds the
    // source stops and the final export, which run side by side.
    await this.#scheduler.stop(Math.floor(budget * STOP_GRACE_SHARE));
    const left = Math.max(0, budget - (clock.monotonic() - t0) - STOP_MARGIN_MS);
    const sources = Promise.all([...this.#runners.values()].map((r) => r.stop()));
    const exports = this.pipeline.stop().catch((err) => {
      this.#log.warn("exporter shutdown failed", { error: errorMessage(err) });
    });
    const done = await within(clock, Promise.all([sources, exports]), left);
    if (!done) {
      this.#log.warn("shutdown budget used up; abandoning what is left", { budget_ms: budget });
    }
    this.#log.info("agent stopped", { ms: Math.round(clock.monotonic() - t0) });
  }
}

/** Least time between two snapshots of the self-metrics gauges and counters. */
const SELF_METRICS_GAP_MS = 1000;

/** Share of `shutdown_timeout` given to collections in flight. */
const STOP_GRACE_SHARE = 0.4;
/** Kept back from the budget for logging and closing listeners. */
const STOP_MARGIN_MS = 100;

/** Resolves true when `p` settles within `ms`, false otherwise (never rejects). */
async function within(clock: Clock, p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: unknown;
  const timeout = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clock.clearTimeout(timer);
  }
}
