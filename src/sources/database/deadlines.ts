/**
 * Client-side query deadlines with one timer per source instead of one per
 * query. A query registers its deadline when it starts; a single timer is
 * armed for the earliest deadline in flight and, when it fires, aborts every
 * query past its deadline and re-arms for the next one. A query that ends
 * in time just leaves the set. At 50 queries a second this saves a
 * `setTimeout`/`clearTimeout` pair, an abort listener and their closures per
 * query (measured in docs/PERFORMANCE.md), while every query is still cut
 * short by the client at its deadline.
 * @module
 */
import type { Clock, TimerHandle } from "../../core/mod.ts";

/** One query's deadline; `controller.signal` is what the driver watches. */
export interface Deadline {
  /** Monotonic milliseconds at which the query is aborted. */
  readonly at: number;
  readonly controller: AbortController;
  /** The collection run the query belongs to. */
  readonly run: unknown;
  /** Set when the deadline (not the run) aborted the query. */
  timedOut: boolean;
}

/** The reason a query's signal carries when its deadline passed. */
export class QueryTimeout extends Error {
  constructor() {
    super("query timeout");
    this.name = "QueryTimeout";
  }
}

/**
 * The deadlines of the queries in flight, watched by one timer.
 *
 * @example One query
 * ```ts
 * const deadlines = new Deadlines(systemClock);
 * const d = deadlines.start(5000, runSignal);
 * try {
 *   await conn.query(sql, params, { timeoutMs: 5000, signal: d.controller.signal });
 * } finally {
 *   deadlines.end(d);
 * }
 * ```
 */
export class Deadlines {
  #clock: Clock;
  #inflight = new Set<Deadline>();
  #timer: TimerHandle | undefined;
  /** When the armed timer fires (Infinity: none armed). */
  #armedAt = Infinity;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Queries in flight (for tests and `/status`). */
  get size(): number {
    return this.#inflight.size;
  }

  /** Whether a timer is armed (for tests: none is left once nothing is in flight and it fired). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** Registers a query of collection run `run` that must end within `timeoutMs`. */
  start(timeoutMs: number, run?: unknown): Deadline {
    const d: Deadline = {
      at: this.#clock.monotonic() + timeoutMs,
      controller: new AbortController(),
      run,
      timedOut: false,
    };
    this.#inflight.add(d);
    // Queries of one source mostly share a timeout, so a later start rarely moves the timer.
    if (d.at < this.#armedAt) this.#arm(d.at);
    return d;
  }

  /** The query ended (in time or not); its deadline no longer matters. */
  end(d: Deadline): void {
    this.#inflight.delete(d);
  }

  /** Aborts the queries in flight of collection run `run` (every query without it) with `reason`. */
  abortRun(reason: unknown, run?: unknown): void {
    for (const d of this.#inflight) {
      if (run !== undefined && d.run !== run) continue;
      this.#inflight.delete(d);
      d.controller.abort(reason);
    }
  }

  /** Clears the timer; queries still in flight are aborted with `reason`. */
  close(reason: unknown): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
    this.abortRun(reason);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = this.#clock.setTimeout(
      () => this.#fire(),
      Math.max(0, at - this.#clock.monotonic()),
    );
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = this.#clock.monotonic();
    let next = Infinity;
    for (const d of this.#inflight) {
      if (d.at <= now) {
        this.#inflight.delete(d);
        d.timedOut = true;
        d.controller.abort(new QueryTimeout());
      } else if (d.at < next) next = d.at;
    }
    if (next < Infinity) this.#arm(next);
  }
}
