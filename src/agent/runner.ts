/**
 * Wraps one source for the agent: starts it lazily (retrying on the next
 * run when the start fails), collects under the run's signal, and keeps the
 * status that `/status` and self-metrics report.
 * @module
 */
import {
  type Clock,
  errorMessage,
  type Logger,
  type Redactor,
  type Sample,
  seriesKey,
  type Source,
  TimeoutError,
} from "../core/mod.ts";
import { type BreakerSnapshot, type BreakerTransition, CircuitBreaker } from "../resilience/mod.ts";
import { CollectingAccumulator, type ItemError } from "./accumulator.ts";
import type { ResolvedSource } from "./schema.ts";

/** Outcome of one collection. */
export interface CollectionResult {
  source: string;
  samples: Sample[];
  errors: ItemError[];
  durationMs: number;
  timedOut: boolean;
  /**
   * Failed as a whole: the source called `Accumulator.fail`, the run timed
   * out, or it reported errors and no sample. Its samples are then diagnostics
   * (`up = 0`), exported but not kept as last good values.
   */
  failed: boolean;
  /** The source was not called: its circuit breaker is open. */
  skipped?: boolean;
  /** Samples over the source's `max_series` (or refused as new series under memory pressure), dropped. */
  dropped?: number;
}

/** The state of a source as shown in `/status`. */
export type SourceState = "pending" | "ok" | "partial" | "failed" | "stopped";

/** The last good values of one metric of a source, kept for `last_value` and fallbacks. */
export interface LastGood {
  samples: Sample[];
  /** Unix ms of the collection that reported them. */
  at: number;
}

/** What `/status` shows of a source. */
export interface SourceStatus {
  name: string;
  type: string;
  interval_ms: number;
  timeout_ms: number;
  state: SourceState;
  started: boolean;
  collections: number;
  failures: number;
  timeouts: number;
  overruns: number;
  last_run_at?: number;
  last_duration_ms?: number;
  last_samples: number;
  last_errors: ItemError[];
  /** Recent collection durations, oldest first. */
  recent_durations_ms: number[];
  /** What the source reports of itself (`Source.details`), when it does. */
  details?: Record<string, unknown>;
  /** The circuit breaker; absent when turned off. */
  breaker?: BreakerSnapshot;
  /** Ticks on which the source was not called because its breaker was open. */
  skipped_open: number;
  /** Samples dropped over `max_series` or refused as new series under memory pressure. */
  dropped_samples: number;
  /** Series in the last batch delivered. */
  series: number;
  /** What is exported while it fails: "fresh", "stale" (last_value), "fallback:<source>" or "none". */
  serving?: string;
  /** Values of the last good collection's first samples, for the status page's chart. */
  recent_values?: { name: string; values: number[] }[];
  /** What happened over the last {@linkcode RECENT} intervals (the bottleneck report reads this). */
  recent: RecentActivity;
}

/** Counts over a recent window, so that one old incident does not stay a problem forever. */
export interface RecentActivity {
  window_ms: number;
  runs: number;
  overruns: number;
  timeouts: number;
  dropped_samples: number;
  /** From the source's `details().pool` counters, when it has a pool: their change over the window. */
  pool?: { acquires: number; acquire_wait_ms: number; acquire_timeouts: number };
}

/** One event of the recent window. */
interface Mark {
  at: number;
  run?: boolean;
  timedOut?: boolean;
  overruns?: number;
  dropped?: number;
  pool?: PoolCounters;
}

interface PoolCounters {
  acquires: number;
  acquire_wait_ms: number;
  acquire_timeouts: number;
}

/** The cumulative pool counters in `details().pool`, when there are. */
function poolCounters(details: Record<string, unknown> | undefined): PoolCounters | undefined {
  const pool = details?.pool as Record<string, unknown> | undefined;
  if (!pool || typeof pool !== "object") return undefined;
  const n = (k: string) => (typeof pool[k] === "number" ? pool[k] as number : 0);
  if (typeof pool.acquires !== "number") return undefined;
  return {
    acquires: n("acquires"),
    acquire_wait_ms: n("acquire_wait_ms_total"),
    acquire_timeouts: n("acquire_timeouts"),
  };
}

const RECENT = 30;
/** Metrics per source whose recent values `/status` keeps for the status page. */
const CHARTED = 3;

function keyOf(s: Sample): string {
  return `${s.name}\u0000${seriesKey(s.name, s.attributes)}`;
}
/** Collection errors logged per collection; the rest are counted in one line. */
const LOGGED_ERRORS = 5;

/** Runs one source. */
export class SourceRunner {
  readonly config: ResolvedSource;
  readonly source: Source;
  #clock: Clock;
  #log: Logger;
  #redactor: Redactor;
  #startTimeout: number;
  #started = false;
  #stopped = false;
  /** The source's own start/collect promise, until it settles (it may outlive an aborted run). */
  #inflight?: Promise<unknown>;
  #status: SourceStatus;
  /** Owned here so that a runner kept across a reload keeps its breaker. */
  readonly breaker?: CircuitBreaker;
  /** Per metric name: a partial run keeps the values of metrics it did not report. */
  #lastGood = new Map<string, LastGood>();
  #knownSeries = new Set<string>();
  #charted = new Map<string, number[]>();
  /** Events of the last RECENT intervals, oldest first. */
  #marks: Mark[] = [];
  /** The samples of the last failed run (`up = 0`), repeated while the breaker keeps the source uncalled. */
  #diagnostics: Sample[] = [];
  #lastPool?: PoolCounters;

  constructor(
    config: ResolvedSource,
    source: Source,
    deps: { clock: Clock; logger: Logger; redactor: Redactor; startTimeout: number },
  ) {
    this.config = config;
    this.source = source;
    this.#clock = deps.clock;
    this.#log = deps.logger;
    this.#redactor = deps.redactor;
    this.#startTimeout = deps.startTimeout;
    this.#status = {
      name: config.name,
      type: config.type,
      interval_ms: config.interval,
      timeout_ms: config.timeout,
      state: "pending",
      started: false,
      collections: 0,
      failures: 0,
      timeouts: 0,
      overruns: 0,
      last_samples: 0,
      last_errors: [],
      recent_durations_ms: [],
      skipped_open: 0,
      dropped_samples: 0,
      series: 0,
      recent: {
        window_ms: RECENT * config.interval,
        runs: 0,
        overruns: 0,
        timeouts: 0,
        dropped_samples: 0,
      },
    };
    const b = config.breaker;
    if (b && b.enabled) {
      this.breaker = new CircuitBreaker(deps.clock, {
        failureThreshold: b.failure_threshold,
        failureRatio: b.failure_ratio,
        window: b.window,
        cooldown: b.cooldown,
        maxCooldown: b.max_cooldown,
        multiplier: b.multiplier,
        jitter: b.jitter,
      });
      this.breaker.onTransition((t) => this.#onTransition(t));
    }
  }

  /** Event `breaker transition`: one log line (the breaker counts it). */
  #onTransition(t: BreakerTransition): void {
    const fields = {
      from: t.from,
      to: t.to,
      reason: t.reason,
      // Distinct per transition, so repeat suppression never folds two transitions into one line.
      transition: this.breaker?.transitions,
      ...(t.cooldownMs !== undefined ? { cooldown_ms: t.cooldownMs } : {}),
    };
    if (t.to === "open") this.#log.warn("circuit breaker opened", fields);
    else if (t.to === "closed") this.#log.info("circuit breaker closed", fields);
    else this.#log.info("circuit breaker half-open: next run is a probe", fields);
  }

  /** The diagnostic samples of the last failed run; empty after a good one. */
  get diagnostics(): readonly Sample[] {
    return this.#diagnostics;
  }

  /** The last good values per metric name (fresh or not); empty before the first good run. */
  get lastGood(): ReadonlyMap<string, LastGood> {
    return this.#lastGood;
  }

  /** Forgets the last good values and known series (memory hard limit). */
  dropState(): number {
    let n = this.#knownSeries.size + this.#diagnostics.length;
    this.#diagnostics = [];
    for (const g of this.#lastGood.values()) n += g.samples.length;
    this.#lastGood = new Map();
    this.#knownSeries.clear();
    this.#charted.clear();
    return n;
  }

  /** Notes what was exported for the last run (for `/status`). */
  setServing(serving: string, series: number): void {
    this.#status.serving = serving;
    this.#status.series = series;
  }

  /** A snapshot of the status. */
  status(): SourceStatus {
    const status = structuredClone(this.#status);
    status.recent = this.#recent();
    if (this.breaker) status.breaker = this.breaker.snapshot();
    if (this.#charted.size > 0) {
      status.recent_values = [...this.#charted].map(([name, values]) => ({
        name,
        values: [...values],
      }));
    }
    if (this.source.details) {
      try {
        status.details = this.source.details();
      } catch (err) {
        status.details = { error: this.#redactor.redact(errorMessage(err)) };
      }
    }
    return status;
  }

  /** True while the source's last start or collect has not settled, even after its run was aborted. */
  get busy(): boolean {
    return this.#inflight !== undefined;
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight = p;
    p.then(() => {}, () => {}).finally(() => {
      if (this.#inflight === p) this.#inflight = undefined;
    });
    return p;
  }

  #mark(m: Omit<Mark, "at">): void {
    this.#marks.push({ at: this.#clock.now(), ...m });
    this.#prune();
  }

  #prune(): void {
    const from = this.#clock.now() - RECENT * this.config.interval;
    let i = 0;
    while (i < this.#marks.length && this.#marks[i].at < from) i++;
    if (i > 0) this.#marks.splice(0, i);
  }

  #recent(): RecentActivity {
    this.#prune();
    const r: RecentActivity = {
      window_ms: RECENT * this.config.interval,
      runs: 0,
      overruns: 0,
      timeouts: 0,
      dropped_samples: 0,
    };
    for (const m of this.#marks) {
      if (m.run) r.runs++;
      if (m.timedOut) r.timeouts++;
      r.overruns += m.overruns ?? 0;
      r.dropped_samples += m.dropped ?? 0;
      if (m.pool) {
        r.pool ??= { acquires: 0, acquire_wait_ms: 0, acquire_timeouts: 0 };
        r.pool.acquires += m.pool.acquires;
        r.pool.acquire_wait_ms =
          Math.round((r.pool.acquire_wait_ms + m.pool.acquire_wait_ms) * 100) /
          100;
        r.pool.acquire_timeouts += m.pool.acquire_timeouts;
      }
    }
    return r;
  }

  /** The change of the source's pool counters since the last run. */
  #poolDelta(): PoolCounters | undefined {
    if (!this.source.details) return undefined;
    let now: PoolCounters | undefined;
    try {
      now = poolCounters(this.source.details());
    } catch {
      return undefined;
    }
    if (!now) return undefined;
    const before = this.#lastPool ?? { acquires: 0, acquire_wait_ms: 0, acquire_timeouts: 0 };
    this.#lastPool = now;
    return {
      acquires: now.acquires - before.acquires,
      acquire_wait_ms: now.acquire_wait_ms - before.acquire_wait_ms,
      acquire_timeouts: now.acquire_timeouts - before.acquire_timeouts,
    };
  }

  /** Counts ticks skipped because a run was still going. */
  noteOverrun(skipped: number): void {
    this.#status.overruns += skipped;
    this.#mark({ overruns: skipped });
    this.#log.warn("collection overran its interval; tick skipped", {
      skipped,
      interval_ms: this.config.interval,
    });
  }

  /**
   * Collects once. Never throws: every failure is in the result. While the
   * breaker is open the source is not called at all. `refuseNewSeries`
   * (memory pressure) drops samples of series the source did not report last time.
   */
  async collect(
    signal: AbortSignal,
    opts: { refuseNewSeries?: boolean } = {},
  ): Promise<CollectionResult> {
    if (this.breaker && !this.breaker.allow()) {
      this.#status.skipped_open++;
      return {
        source: this.config.name,
        samples: [],
        errors: [],
        durationMs: 0,
        timedOut: false,
        failed: true,
        skipped: true,
      };
    }
    const result = await this.#collect(signal);
    // A partial run (some items failed, others reported) is a success for the breaker:
    // one broken query must not cut off the good ones.
    if (this.breaker) {
      if (result.failed) this.breaker.failure();
      else this.breaker.success();
    }
    const clean = result.errors.length === 0;
    result.dropped = (result.dropped ?? 0) +
      this.#refuseNew(result, opts.refuseNewSeries ?? false, !result.failed);
    if (!result.failed) {
      this.#keepGood(result.samples, clean);
      this.#chart(result.samples);
      this.#diagnostics = [];
    } else this.#diagnostics = result.samples;
    return result;
  }

  /**
   * Keeps the values of every metric this run reported. After a clean run
   * (no error) the metrics it did not report are forgotten; after a partial
   * one they keep their older values, which `last_value` serves as stale.
   */
  #keepGood(samples: Sample[], clean: boolean): void {
    const at = this.#clock.now();
    const byName = new Map<string, Sample[]>();
    for (const s of samples) {
      const list = byName.get(s.name);
      if (list) list.push(s);
      else byName.set(s.name, [s]);
    }
    if (clean) this.#lastGood = new Map();
    for (const [name, list] of byName) this.#lastGood.set(name, { samples: list, at });
  }

  /**
   * Under memory pressure, keeps only series the source reported before.
   * Otherwise notes this run's series as known: all of them after a good run,
   * in addition to the older ones after a failed run (its diagnostics).
   */
  #refuseNew(result: CollectionResult, refuseNew: boolean, good: boolean): number {
    if (!refuseNew) {
      if (good) this.#knownSeries = new Set(result.samples.map(keyOf));
      else for (const s of result.samples) this.#knownSeries.add(keyOf(s));
      return 0;
    }
    const kept = result.samples.filter((s) => this.#knownSeries.has(keyOf(s)));
    const dropped = result.samples.length - kept.length;
    result.samples = kept;
    if (dropped === 0) return 0;
    this.#status.dropped_samples += dropped;
    this.#mark({ dropped });
    this.#log.warn("new series refused: memory above the soft limit", { dropped });
    result.errors.push({
      source: this.config.name,
      item: "memory",
      message: `${dropped} sample(s) of new series refused: memory is above the soft limit`,
    });
    return dropped;
  }

  #chart(samples: Sample[]): void {
    for (const s of samples.slice(0, CHARTED)) {
      const values = this.#charted.get(s.name) ?? [];
      values.push(s.value);
      if (values.length > RECENT) values.shift();
      this.#charted.set(s.name, values);
    }
    while (this.#charted.size > CHARTED) this.#charted.delete(this.#charted.keys().next().value!);
  }

  async #collect(signal: AbortSignal): Promise<CollectionResult> {
    const acc = new CollectingAccumulator({
      source: this.config.name,
      attributes: this.config.attributes,
      defaultType: this.config.otel_type ?? "gauge",
      now: () => this.#clock.now(),
      // The source's series cap: the accumulator drops (and counts) the rest.
      maxSamples: this.config.max_series ?? 10_000,
      redact: (t) => this.#redactor.redact(t),
    });
    const t0 = this.#clock.monotonic();
    let timedOut = false;
    try {
      if (!this.#started) await this.#start(signal);
      await raceAbort(this.#track(this.source.collect(acc, signal)), signal);
    } catch (err) {
      timedOut = signal.aborted && signal.reason instanceof TimeoutError;
      // A start that failed, a collect that threw or ran out of time: the run failed as a whole.
      acc.fail(timedOut ? signal.reason : err);
    }
    acc.close();
    const durationMs = this.#clock.monotonic() - t0;
    const failed = timedOut || acc.failed || (acc.errors.length > 0 && acc.samples.length === 0);
    // A source that gave up at its own deadline (just under the run's) timed out too.
    const ownTimeout = !timedOut && acc.failure instanceof TimeoutError;
    this.#record(acc, durationMs, timedOut || ownTimeout, failed);
    return {
      source: this.config.name,
      samples: acc.samples,
      errors: acc.errors,
      durationMs,
      timedOut,
      failed,
      dropped: acc.dropped,
    };
  }

  async #start(runSignal: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([runSignal, AbortSignal.timeout(this.#startTimeout)]);
    try {
      await raceAbort(this.#track(this.source.start(signal)), signal);
    } catch (err) {
      // A start timeout surfaces as the browser-style TimeoutError DOMException; name it.
      if (signal.aborted && !runSignal.aborted) {
        throw new TimeoutError(`start of ${JSON.stringify(this.config.name)}`, this.#startTimeout, {
          cause: err,
        });
      }
      throw err;
    }
    this.#started = true;
    this.#status.started = true;
    this.#log.info("source started", { type: this.config.type });
  }

  #record(
    acc: CollectingAccumulator,
    durationMs: number,
    timedOut: boolean,
    failed: boolean,
  ): void {
    const s = this.#status;
    s.collections++;
    s.last_run_at = this.#clock.now();
    s.last_duration_ms = Math.round(durationMs * 100) / 100;
    s.recent_durations_ms.push(s.last_duration_ms);
    if (s.recent_durations_ms.length > RECENT) s.recent_durations_ms.shift();
    s.last_samples = acc.samples.length;
    s.dropped_samples += acc.dropped;
    s.last_errors = acc.errors.slice(0, 10);
    if (timedOut) s.timeouts++;
    if (failed) s.failures++;
    const pool = this.#poolDelta();
    this.#mark({
      run: true,
      ...(timedOut ? { timedOut } : {}),
      ...(acc.dropped ? { dropped: acc.dropped } : {}),
      ...(pool ? { pool } : {}),
    });
    const prev = s.state;
    s.state = failed ? "failed" : acc.errors.length > 0 ? "partial" : "ok";
    // A source printing garbage must not flood the log: a few lines, then a count.
    for (const e of acc.errors.slice(0, LOGGED_ERRORS)) {
      this.#log.warn("collection error", { item: e.item, error: e.message });
    }
    const unlogged = acc.errors.length - LOGGED_ERRORS + acc.suppressedErrors -
      (acc.suppressedErrors > 0 ? 1 : 0);
    if (unlogged > 0) this.#log.warn("more collection errors not logged", { count: unlogged });
    if (prev !== s.state && (prev !== "pending" || s.state !== "ok")) {
      this.#log.info("source state changed", { from: prev, to: s.state });
    }
  }

  /** Stops the source. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#status.state = "stopped";
    try {
      await this.source.stop();
    } catch (err) {
      this.#log.warn("source stop failed", { error: errorMessage(err) });
    }
  }
}

/** Settles with `p`, or rejects with the signal's reason once it aborts. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
