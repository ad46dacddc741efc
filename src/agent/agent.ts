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
  bottlenecks: {
    source: string;
    avg_duration_ms: number;
    interval_share: number;
    overruns: number;
    hint?: string;
  }[];
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
        const result = await runner.collect(signal);
        // A run aborted by a reload that replaced its runner delivers nothing.
        if (this.#runners.get(runner.config.name) === runner) this.#deliver(result);
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
      this.#deliver(result);
      return result;
    }));
    await Promise.all([...this.#runners.values()].map((r) => r.stop()));
    // One cycle: windows cover what this cycle collected (`aggregation.last`).
    this.aggregation.publish(true);
    return results;
  }

  #deliver(result: CollectionResult): void {
    this.#last.set(result.source, result.samples);
    const { rejected } = this.#pipeline.write(result.source, result.samples);
    this.aggregation.feed(result.samples);
    for (const r of rejected) {
      this.#rejected++;
      result.errors.push({
        source: result.source,
        item: r.sample.name,
        message: `not exported: ${r.reason}`,
      });
    }
    if (this.#o.selfMetrics !== false) this.#pipeline.write("sextant", this.#selfSamples(result));
  }

  #selfSamples(last: CollectionResult): Sample[] {
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
    }
    add("source.collection_duration", last.durationMs, "histogram", { source: last.source }, "ms");
    for (const p of this.#o.plugins?.status() ?? []) {
      const a = { source: p.source, plugin: p.plugin };
      add("plugin.up", p.state === "running" ? 1 : 0, "gauge", a);
      add("plugin.restarts", p.restarts, "counter", a);
    }
    add("export.rejected", this.#rejected, "counter", {});
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
    const bottlenecks = sources
      .filter((s) => s.recent_durations_ms.length > 0)
      .map((s) => {
        const avg = s.recent_durations_ms.reduce((a, b) => a + b, 0) / s.recent_durations_ms.length;
        const share = avg / s.interval_ms;
        const hint = s.overruns > 0
          ? `overran its ${s.interval_ms} ms interval ${s.overruns} time(s): raise interval or speed the source up`
          : share > 0.5
          ? "takes more than half of its interval"
          : undefined;
        return {
          source: s.name,
          avg_duration_ms: Math.round(avg * 100) / 100,
          interval_share: Math.round(share * 1e4) / 1e4,
          overruns: s.overruns,
          ...(hint ? { hint } : {}),
        };
      })
      .sort((a, b) => b.avg_duration_ms - a.avg_duration_ms);
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
      exporters: this.#pipeline.status(),
      aggregators: this.aggregation.stats(),
      plugins: this.#o.plugins?.status() ?? [],
      config: this.#reloads.status(),
      bottlenecks,
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
  }
}

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
