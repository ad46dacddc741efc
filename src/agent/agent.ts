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
import type { RuleStats } from "../aggregate/mod.ts";
import {
  createExportPipeline,
  DEFAULT_EXPORTERS,
  type ExporterStatus,
  type ExportPipeline,
} from "../export/mod.ts";
import {
  diffByKey,
  type ReloadChanges,
  type ReloadRecord,
  ReloadStats,
  stableJson,
} from "./reload_state.ts";
import { AGGREGATE_SOURCE, AggregationDriver } from "./aggregation.ts";
import { BREAKER_STATE_VALUE } from "../resilience/mod.ts";
import { type Bottleneck, rankBottlenecks } from "./bottlenecks.ts";
import { degrade } from "./degrade.ts";
import { type ProcessHealth, SelfMonitor } from "./monitor.ts";
import { type Document, resolveSource, type SourceTable } from "./schema.ts";
import { Scheduler } from "./scheduler.ts";
import { registerSecrets } from "./secrets.ts";
import { selfSampleAdder } from "./self_samples.ts";
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
  /** The plugin sources, for `/status`, the self-metrics and the admin API. */
  plugins?: PluginStatusProvider;
}

/** What the agent needs from the plugin system (kept structural so the agent does not depend on it). */
export interface PluginStatusProvider {
  status(): { source: string; plugin: string; state: string; restarts: number }[];
  act?(
    source: string,
    action: string,
  ): Promise<{ ok: true; status: unknown } | { ok: false; status: number; error: string }>;
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
  /** Aggregation rules: series, evictions, drops, approximate bytes. */
  aggregators: RuleStats[];
  plugins: unknown[];
  /** Hot reload: counts and the last attempt (its errors when it failed). */
  config: {
    reloads: { success: number; failure: number };
    last_reload?: ReloadRecord;
  };
  /** Event-loop lag and memory against the limits. */
  process: ProcessHealth;
  /** Series the export pipeline holds. */
  series: { live: number; dead: number; metrics: number };
  bottlenecks: Bottleneck[];
  /** One-line hints about the process as a whole (event loop, memory, exporters). */
  hints: string[];
}

/** A configuration to switch to, as {@linkcode Agent.apply} takes it. */
export interface NextConfig {
  config: Document;
  files?: string[];
  baseDirOf?: (index: number) => string;
  /** Source kinds for the new config (the `plugin` kind depends on `plugin_directories`). */
  kinds?: readonly SourceKind[];
}

/** Runs a configuration. */
export class Agent {
  /** The aggregation rules, driven by the agent's clock; hot reload calls its `reconfigure`. */
  readonly aggregation: AggregationDriver;
  #o: AgentOptions;
  #config: Document;
  #log: Logger;
  #pipeline: ExportPipeline;
  #runners = new Map<string, SourceRunner>();
  /** What each runner was built from, to tell a changed source from an unchanged one. */
  #fingerprints = new Map<string, string>();
  #pipelineFingerprint: string;
  /** Each source's last batch, replayed into a rebuilt export pipeline. */
  #last = new Map<string, Sample[]>();
  #scheduler: Scheduler;
  #startedAt?: number;
  #started = false;
  #ready = false;
  #stopping?: Promise<void>;
  #rejected = 0;
  #reloads = new ReloadStats();
  #monitor: SelfMonitor;
  /** Set above the soft memory limit: sources may not add series. */
  #refuseNew = false;
  #droppedStates = 0;
  #selfWrittenAt?: number;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#config = options.config;
    this.#log = options.logger.child("agent");
    const cm = options.config.custom_metrics;
    registerSecrets(options.config, options.kinds, options.redactor);
    this.#pipeline = this.#createPipeline(options.config);
    this.#pipelineFingerprint = this.#pipelineKey(options.config);
    this.aggregation = new AggregationDriver({
      aggregators: cm.aggregators,
      window: cm.aggregation_window,
      clock: options.clock,
      logger: options.logger.child("aggregate"),
      // Through the agent, so that aggregates follow a pipeline that a reload replaced.
      pipeline: this.#currentPipeline(),
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
      const runner = this.#buildRunner(
        table as SourceTable,
        index,
        options.config,
        options.baseDirOf,
      );
      this.#runners.set(table.name, runner);
      this.#fingerprints.set(
        table.name,
        this.#sourceKey(table as SourceTable, index, options.config, options.baseDirOf),
      );
    });
  }

  /** The export pipeline in use (a reload that changes exporters replaces it). */
  get pipeline(): ExportPipeline {
    return this.#pipeline;
  }

  /** An `ExportPipeline` that always forwards to the one in use. */
  #currentPipeline(): ExportPipeline {
    return new Proxy({} as ExportPipeline, {
      get: (_t, key) => {
        const p = this.#pipeline as unknown as Record<PropertyKey, unknown>;
        const v = p[key];
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(p) : v;
      },
    });
  }

  #createPipeline(config: Document): ExportPipeline {
    const cm = config.custom_metrics;
    return createExportPipeline({
      exporters: this.#o.exporters ?? cm.exporters ?? DEFAULT_EXPORTERS,
      // The final export gets what is left after collections in flight had their share.
      stopTimeout: Math.max(
        100,
        Math.floor(cm.agent.shutdown_timeout * (1 - STOP_GRACE_SHARE)) - STOP_MARGIN_MS,
      ),
      resource: cm.resource,
      platform: this.#o.platform,
      logger: this.#o.logger.child("export"),
      writeConsole: this.#o.writeConsole,
    });
  }

  #pipelineKey(config: Document): string {
    const cm = config.custom_metrics;
    return stableJson([
      this.#o.exporters ?? cm.exporters ?? DEFAULT_EXPORTERS,
      cm.resource,
      cm.agent.shutdown_timeout,
    ]);
  }

  #sourceKey(
    table: SourceTable,
    index: number,
    config: Document,
    baseDirOf?: (index: number) => string,
  ): string {
    const cm = config.custom_metrics;
    return stableJson([
      resolveSource(table, cm.agent),
      baseDirOf?.(index) ?? this.#o.platform.cwd(),
      cm.agent.start_timeout,
      // A plugin source is found in these directories: moving them may change its code.
      table.type === "plugin" ? cm.plugin_directories : undefined,
    ]);
  }

  #buildRunner(
    table: SourceTable,
    index: number,
    config: Document,
    baseDirOf?: (index: number) => string,
    kinds: readonly SourceKind[] = this.#o.kinds,
  ): SourceRunner {
    const o = this.#o;
    const kind = kinds.find((k) => k.type === table.type);
    if (!kind) throw new Error(`no source kind ${JSON.stringify(table.type)}`); // the schema rules this out
    const resolved = resolveSource(table, config.custom_metrics.agent);
    const logger = o.logger.child(`source.${resolved.name}`);
    const source = kind.create(resolved as never, {
      logger,
      platform: o.platform,
      clock: o.clock,
      redactor: o.redactor,
      baseDir: baseDirOf?.(index) ?? o.platform.cwd(),
    });
    return new SourceRunner(resolved, source, {
      clock: o.clock,
      logger,
      redactor: o.redactor,
      startTimeout: config.custom_metrics.agent.start_timeout,
    });
  }

  #schedule(runner: SourceRunner): void {
    this.#scheduler.add({
      name: runner.config.name,
      interval: runner.config.interval,
      timeout: runner.config.timeout,
      run: async (signal) => {
        // An aborted run's source work may still be winding down (a command in its kill grace): never overlap it.
        if (runner.busy) return runner.noteOverrun(1);
        const result = await runner.collect(signal, { refuseNewSeries: this.#refuseNew });
        // A run aborted by a reload that replaced its runner delivers nothing.
        if (this.#runners.get(runner.config.name) === runner) this.#deliver(runner, result);
      },
    });
  }

  /**
   * Switches to a new, already validated configuration. Sources whose
   * resolved config is unchanged keep running untouched (same runner, same
   * schedule, same connections); changed ones are stopped and rebuilt,
   * removed ones stopped and their series dropped, new ones started. The
   * export pipeline is rebuilt only when exporters or the resource changed.
   * Rejects, with nothing changed, when a new source cannot be built or the
   * new exporters cannot bind.
   */
  async apply(next: NextConfig): Promise<ReloadChanges> {
    if (this.#stopping) throw new Error("Cannot reload as the agent is stopping");
    const o = this.#o;
    const kinds = next.kinds ?? o.kinds;
    const cm = next.config.custom_metrics;
    const wanted = new Map<string, { table: SourceTable; index: number; key: string }>();
    cm.sources.forEach((t, index) => {
      if (!t.enabled) return;
      const table = t as SourceTable;
      wanted.set(t.name, {
        table,
        index,
        key: this.#sourceKey(table, index, next.config, next.baseDirOf),
      });
    });
    const changes: ReloadChanges = {
      ...diffByKey(this.#fingerprints, new Map([...wanted].map(([n, w]) => [n, w.key]))),
      exporters: "kept",
    };
    // Build first: a source that cannot be built leaves everything as it was.
    const built = new Map<string, SourceRunner>();
    for (const name of [...changes.changed, ...changes.added]) {
      const w = wanted.get(name)!;
      built.set(name, this.#buildRunner(w.table, w.index, next.config, next.baseDirOf, kinds));
    }
    registerSecrets(next.config, kinds, o.redactor);

    const pipelineKey = this.#pipelineKey(next.config);
    if (pipelineKey !== this.#pipelineFingerprint) {
      try {
        await this.#replacePipeline(next.config);
      } catch (err) {
        await Promise.all([...built.values()].map((r) => r.stop()));
        throw err;
      }
      this.#pipelineFingerprint = pipelineKey;
      changes.exporters = "rebuilt";
    }

    await Promise.all([...changes.removed, ...changes.changed].map(async (name) => {
      const runner = this.#runners.get(name)!;
      this.#runners.delete(name);
      this.#fingerprints.delete(name);
      await this.#scheduler.remove(name);
      await runner.stop();
      if (!built.has(name)) {
        this.#last.delete(name);
        this.#pipeline.write(name, []);
      }
    }));
    for (const [name, runner] of built) {
      this.#runners.set(name, runner);
      this.#fingerprints.set(name, wanted.get(name)!.key);
      if (this.#started && !this.#stopping) this.#schedule(runner);
    }
    // Aggregators are one more component of the diff: the engine keeps the windows of
    // rules whose resolved config is unchanged.
    const prev = this.#config.custom_metrics;
    if (
      stableJson([prev.aggregators, prev.aggregation_window]) !==
        stableJson([cm.aggregators, cm.aggregation_window])
    ) {
      const r = this.aggregation.reconfigure(cm.aggregators, cm.aggregation_window);
      changes.aggregators = r;
    }
    this.#config = next.config;
    this.#o = { ...this.#o, kinds, ...(next.files ? { files: next.files } : {}) };
    return changes;
  }

  /**
   * Swaps in a pipeline for `config`: writes go to the new one at once (it
   * takes them before it starts), the old one flushes and closes its
   * listeners, then the new one binds. When it cannot, the old config's
   * pipeline is put back.
   */
  async #replacePipeline(config: Document): Promise<void> {
    const old = this.#pipeline;
    const fresh = this.#createPipeline(config);
    this.#install(fresh);
    await old.stop();
    if (!this.#started) return;
    try {
      await fresh.start();
      for (const e of fresh.endpoints) {
        this.#log.info("exporter listening", { exporter: e.name, url: e.url });
      }
    } catch (err) {
      await fresh.stop();
      const restored = this.#createPipeline(this.#config);
      this.#install(restored);
      await restored.start().catch((e) => {
        this.#log.error("cannot restore the previous exporters", { error: errorMessage(e) });
      });
      throw err;
    }
  }

  #install(pipeline: ExportPipeline): void {
    this.#pipeline = pipeline;
    for (const [source, samples] of this.#last) {
      // Histograms were exported by the old pipeline's final flush; recording them again would count them twice.
      pipeline.write(source, samples.filter((s) => s.type !== "histogram"));
    }
    // During construction the driver does not exist yet (and has published nothing).
    const aggregates = this.aggregation?.last ?? [];
    if (aggregates.length > 0) pipeline.write(AGGREGATE_SOURCE, aggregates);
  }

  /** Records the outcome of a reload for `/status` and the `sextant.config.reload` counter. */
  recordReload(record: ReloadRecord): void {
    this.#reloads.record(record);
  }

  /** Soft: refuse new series, shrink buffers. Hard: also drop the largest state and report it. */
  #onPressure(level: "soft" | "hard"): void {
    this.#refuseNew = true;
    this.pipeline.shrink();
    if (level !== "hard") return;
    if (this.#dropLargestAggregate()) return;
    let largest: SourceRunner | undefined;
    for (const r of this.#runners.values()) {
      if (!largest || r.status().series > largest.status().series) largest = r;
    }
    if (!largest || largest.status().series === 0) return;
    const series = largest.status().series;
    largest.dropState();
    this.#last.delete(largest.config.name);
    this.pipeline.write(largest.config.name, []);
    largest.setServing("none", 0);
    this.#droppedStates++;
    this.#log.error("memory above the hard limit: dropped the largest state", {
      source: largest.config.name,
      series,
    });
  }

  /**
   * Drops the state of the aggregation rule holding the most bytes: the rule
   * set without it, then with it again, so that it alone starts empty.
   */
  #dropLargestAggregate(): boolean {
    const engine = this.aggregation.engine;
    const largest = engine.stats().filter((r) => r.series > 0)
      .sort((a, b) => b.bytes - a.bytes)[0];
    if (!largest) return false;
    const rules = engine.rules;
    engine.reconfigure(rules.filter((r) => r.id !== largest.rule));
    engine.reconfigure(rules);
    this.#droppedStates++;
    this.#log.error("memory above the hard limit: dropped the largest aggregation state", {
      rule: largest.rule,
      series: largest.series,
      bytes: largest.bytes,
    });
    return true;
  }

  /** Names of the enabled sources. */
  get sourceNames(): string[] {
    return [...this.#runners.keys()];
  }

  /** Binds the exporters' listeners and starts scheduling. Rejects (after cleaning up) when a listener cannot bind. */
  async start(): Promise<void> {
    await this.#pipeline.start();
    this.#startedAt = this.#o.clock.now();
    this.#started = true;
    for (const runner of this.#runners.values()) this.#schedule(runner);
    this.aggregation.start();
    this.#monitor.start();
    this.#ready = true;
    for (const e of this.pipeline.endpoints) {
      this.#log.info("exporter listening", { exporter: e.name, url: e.url });
    }
    this.#log.info("agent started", { sources: this.#runners.size, version: VERSION });
  }

  /** One collection of every source, concurrently, each under its timeout; then stops the sources. */
  async collectOnce(): Promise<CollectionResult[]> {
    this.aggregation.holding = true;
    const results = await Promise.all([...this.#runners.values()].map(async (runner) => {
      const signal = AbortSignal.timeout(runner.config.timeout);
      const result = await runner.collect(signal);
      this.#deliver(runner, result);
      return result;
    }));
    await Promise.all([...this.#runners.values()].map((r) => r.stop()));
    // One cycle: windows cover what this cycle collected (`aggregation.last`).
    this.aggregation.publish(true);
    return results;
  }

  #deliver(runner: SourceRunner, result: CollectionResult): void {
    const served = degrade(runner, result, (n) => this.#runners.get(n), this.#o.clock.now());
    this.#last.set(result.source, served.samples);
    const { rejected } = this.#pipeline.write(result.source, served.samples);
    runner.setServing(served.serving, served.samples.length - rejected.length);
    // Only fresh samples feed the aggregation windows (a failed run's diagnostics, such as
    // `up = 0`, are fresh too): stale or borrowed values would count twice.
    this.aggregation.feed(result.samples);
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
      this.#pipeline.write("sextant.durations", [{
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
    this.#pipeline.write("sextant", this.#selfSamples());
  }

  #selfSamples(): Sample[] {
    const now = this.#o.clock.now();
    const out: Sample[] = [];
    const add = selfSampleAdder(out, "sextant.", now);
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
      if (s.breaker) {
        add("source.breaker_state", BREAKER_STATE_VALUE[s.breaker.state], "gauge", a);
        add("source.breaker_transitions", s.breaker.transitions, "counter", a);
        add("source.breaker_skipped", s.skipped_open, "counter", a);
      }
    }
    for (const p of this.#o.plugins?.status() ?? []) {
      const a = { source: p.source, plugin: p.plugin };
      add("plugin.up", p.state === "running" ? 1 : 0, "gauge", a);
      add("plugin.restarts", p.restarts, "counter", a);
    }
    add("export.rejected", this.#rejected, "counter", {});
    for (const e of this.#pipeline.status()) {
      if (e.queue === undefined) continue;
      const a = { exporter: e.name };
      add("exporter.queue_size", e.queue.size, "gauge", a);
      add("exporter.queue_capacity", e.queue.capacity, "gauge", a);
      add("exporter.dropped_batches", e.queue.dropped_batches, "counter", a);
      add("exporter.dropped_points", e.queue.dropped_points, "counter", a);
      add("exporter.failures", e.failures, "counter", a);
    }
    const series = this.#pipeline.inspect();
    add("series.live", series.liveSeries, "gauge", {});
    add("series.dead", series.deadSeries, "gauge", {});
    add("event_loop.lag", this.#monitor.lastLag, "gauge", {}, "ms");
    add("memory.dropped_states", this.#droppedStates, "counter", {});
    const reloads = this.#reloads.counts;
    add("config.reload", reloads.success, "counter", { result: "success" });
    add("config.reload", reloads.failure, "counter", { result: "failure" });
    out.push(...this.aggregation.selfSamples(now));
    const mem = this.#o.platform.memoryUsage();
    add("process.rss", mem.rss, "gauge", {}, "By");
    add("process.heap_used", mem.heapUsed, "gauge", {}, "By");
    return out;
  }

  /** The status document. */
  status(): AgentStatus {
    const p = this.#o.platform;
    const sources = [...this.#runners.values()].map((r) => r.status());
    const exporters = this.#pipeline.status();
    const health = this.#monitor.health();
    const { bottlenecks, hints } = rankBottlenecks(sources, exporters, health);
    const inspect = this.#pipeline.inspect();
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
      aggregators: this.aggregation.stats(),
      plugins: this.#o.plugins?.status() ?? [],
      config: this.#reloads.status(),
      process: health,
      series: { live: inspect.liveSeries, dead: inspect.deadSeries, metrics: inspect.metrics },
      bottlenecks,
      hints,
    };
  }

  /** Loads, unloads or reloads one plugin source (the admin API's `POST /plugins/<source>/<action>`). */
  pluginAction(
    source: string,
    action: string,
  ): Promise<{ ok: true; status: unknown } | { ok: false; status: number; error: string }> {
    const p = this.#o.plugins;
    if (!p?.act) return Promise.resolve({ ok: false, status: 404, error: "no plugin sources" });
    return p.act(source, action);
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
    this.aggregation.stop();
    this.#monitor.stop();
    const clock = this.#o.clock;
    const budget = this.#config.custom_metrics.agent.shutdown_timeout;
    const t0 = clock.monotonic();
    // 40% of the budget lets collections in flight finish; the rest bounds the
    // source stops and the final export, which run side by side.
    await this.#scheduler.stop(Math.floor(budget * STOP_GRACE_SHARE));
    const left = Math.max(0, budget - (clock.monotonic() - t0) - STOP_MARGIN_MS);
    const sources = Promise.all([...this.#runners.values()].map((r) => r.stop()));
    const exports = this.#pipeline.stop().catch((err) => {
      this.#log.warn("exporter shutdown failed", { error: errorMessage(err) });
    });
    const done = await within(clock, Promise.all([sources, exports]), left);
    if (!done) {
      this.#log.warn("shutdown budget used up; abandoning what is left", { budget_ms: budget });
    }
    this.#log.info("agent stopped", { ms: Math.round(clock.monotonic() - t0) });
    this.#log.flush(true); // the counts of repeats still inside their window
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
