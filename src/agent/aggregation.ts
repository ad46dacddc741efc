/**
 * The agent's side of aggregation: it owns time for the pure engine. Feeds
 * each collection's samples in, publishes the aggregates to the export
 * pipeline after every collection and at every window close (a clock
 * timer), and reports `sextant.aggregate.*` self-metrics.
 * @module
 */
import {
  type AggregateError,
  AggregationEngine,
  type AggregatorConfig,
  resolveRules,
  type RuleStats,
} from "../aggregate/mod.ts";
import type { Clock, Logger, Sample } from "../core/mod.ts";
import { selfSampleAdder } from "./self_samples.ts";
import type { ExportPipeline } from "../export/mod.ts";

/** The pipeline "source" aggregates are written as (not a metric name: it cannot clash with a source). */
export const AGGREGATE_SOURCE = "(aggregate)";

/** Drives an {@linkcode AggregationEngine} with the agent's clock. */
export class AggregationDriver {
  readonly engine: AggregationEngine;
  #clock: Clock;
  #log: Logger;
  #pipeline: ExportPipeline;
  #timer?: unknown;
  #armed = false;
  #last: Sample[] = [];
  #lastErrors: AggregateError[] = [];
  #rejected = 0;
  /** Last error text per rule, so a persisting error is logged once, not per read. */
  #errors = new Map<string, string>();

  constructor(
    opts: {
      aggregators: readonly AggregatorConfig[];
      window: number;
      clock: Clock;
      logger: Logger;
      pipeline: ExportPipeline;
    },
  ) {
    this.engine = new AggregationEngine(resolveRules(opts.aggregators, { window: opts.window }));
    this.#clock = opts.clock;
    this.#log = opts.logger;
    this.#pipeline = opts.pipeline;
  }

  /** Whether any rule is configured. */
  get active(): boolean {
    return this.engine.rules.length > 0;
  }

  /** Aggregates published last. */
  get last(): Sample[] {
    return this.#last;
  }

  /** The rules' errors at the last publish (`sextant once` reports them). */
  get errors(): AggregateError[] {
    return this.#lastErrors;
  }

  /** How many times aggregates were written to the pipeline (a publish with nothing new writes nothing). */
  writes = 0;

  /** Only ingest in `feed` (`once` publishes once, after every source ran). */
  holding = false;

  /** Ingests one collection and publishes what is due. */
  feed(samples: readonly Sample[]): void {
    if (!this.active) return;
    this.engine.ingest(samples);
    if (!this.holding) this.publish();
  }

  /** Reads the engine at the clock's time and replaces the exported aggregates. */
  publish(includeOpen = false): Sample[] {
    if (!this.active && this.#last.length === 0) return [];
    const { samples, errors } = this.engine.read(this.#clock.now(), { includeOpen });
    // Between window closes the engine hands back its cached samples: the pipeline already holds
    // them, and rewriting thousands of series after every collection cost most of the agent's CPU.
    if (!sameSamples(samples, this.#last)) {
      this.writes++;
      const { rejected } = this.#pipeline.write(AGGREGATE_SOURCE, samples);
      for (const r of rejected) {
        this.#rejected++;
        this.#log.warn("aggregate not exported", { metric: r.sample.name, reason: r.reason });
      }
    }
    const seen = new Set<string>();
    for (const e of errors) {
      seen.add(e.rule);
      const text = errors.filter((x) => x.rule === e.rule).map((x) => x.message).join("; ");
      if (this.#errors.get(e.rule) === text) continue;
      this.#errors.set(e.rule, text);
      this.#log.warn("aggregation rule failed", { rule: e.rule, error: e.message });
    }
    for (const rule of this.#errors.keys()) if (!seen.has(rule)) this.#errors.delete(rule);
    this.#last = samples;
    this.#lastErrors = errors;
    return samples;
  }

  /** Starts publishing at every window close. */
  start(): void {
    this.#armed = true;
    this.#arm();
  }

  #arm(): void {
    if (!this.#armed) return;
    const now = this.#clock.now();
    const next = this.engine.nextClose(now);
    if (next === undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.publish();
      this.#arm();
    }, next - now);
  }

  /** Stops the window timer. */
  stop(): void {
    this.#armed = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Replaces the rules (hot reload): rules whose resolved config is unchanged
   * keep their windows; see `src/aggregate/README.md`.
   */
  reconfigure(aggregators: readonly AggregatorConfig[], window: number) {
    const result = this.engine.reconfigure(resolveRules(aggregators, { window }));
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#arm();
    return result;
  }

  /** Per-rule state for `/status`. */
  stats(): RuleStats[] {
    return this.engine.stats();
  }

  /** `sextant.aggregate.*` self-metrics. */
  selfSamples(now: number): Sample[] {
    const out: Sample[] = [];
    const add = selfSampleAdder(out, "sextant.aggregate.", now);
    for (const s of this.engine.stats()) {
      const a = { rule: s.rule, type: s.type };
      add("series", s.series, "gauge", a);
      add("evictions", s.evictions, "counter", a);
      add("bytes", s.bytes, "gauge", a, "By");
      add("errors", s.errors, "counter", a);
      for (const [reason, n] of Object.entries(s.dropped)) {
        add("dropped", n, "counter", { ...a, reason });
      }
    }
    if (this.active) add("rejected", this.#rejected, "counter", {});
    return out;
  }
}

/** True when `a` holds the very same sample objects as `b`, in order. */
function sameSamples(a: readonly Sample[], b: readonly Sample[]): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
