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
  type Source,
  TimeoutError,
} from "../core/mod.ts";
import { CollectingAccumulator, type ItemError } from "./accumulator.ts";
import type { ResolvedSource } from "./schema.ts";

/** Outcome of one collection. */
export interface CollectionResult {
  source: string;
  samples: Sample[];
  errors: ItemError[];
  durationMs: number;
  timedOut: boolean;
  /** No samples and at least one error, or a timeout. */
  failed: boolean;
}

/** The state of a source as shown in `/status`. */
export type SourceState = "pending" | "ok" | "partial" | "failed" | "stopped";

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
}

const RECENT = 30;
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
    };
  }

  /** A snapshot of the status. */
  status(): SourceStatus {
    const status = structuredClone(this.#status);
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

  /** Counts ticks skipped because a run was still going. */
  noteOverrun(skipped: number): void {
    this.#status.overruns += skipped;
    this.#log.warn("collection overran its interval; tick skipped", {
      skipped,
      interval_ms: this.config.interval,
    });
  }

  /** Collects once. Never throws: every failure is in the result. */
  async collect(signal: AbortSignal): Promise<CollectionResult> {
    const acc = new CollectingAccumulator({
      source: this.config.name,
      attributes: this.config.attributes,
      defaultType: this.config.otel_type ?? "gauge",
      now: () => this.#clock.now(),
      redact: (t) => this.#redactor.redact(t),
    });
    const t0 = performance.now();
    let timedOut = false;
    try {
      if (!this.#started) await this.#start(signal);
      await raceAbort(this.#track(this.source.collect(acc, signal)), signal);
    } catch (err) {
      timedOut = signal.aborted && signal.reason instanceof TimeoutError;
      acc.addError(timedOut ? signal.reason : err);
    }
    acc.close();
    const durationMs = performance.now() - t0;
    const failed = timedOut || (acc.errors.length > 0 && acc.samples.length === 0);
    this.#record(acc, durationMs, timedOut, failed);
    return {
      source: this.config.name,
      samples: acc.samples,
      errors: acc.errors,
      durationMs,
      timedOut,
      failed,
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
    s.last_errors = acc.errors.slice(0, 10);
    if (timedOut) s.timeouts++;
    if (failed) s.failures++;
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
