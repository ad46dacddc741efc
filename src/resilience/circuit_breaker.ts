/**
 * A generic circuit breaker: closed → open after N consecutive failures or
 * a failure ratio over a sliding window of outcomes; open for a cooldown
 * that grows on repeated trips (with jitter, up to a cap); half-open lets
 * one probe through; the probe's success closes it, its failure reopens it.
 * Pure state on an injected clock: no timers.
 * @module
 */
import type { Clock } from "../core/mod.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";

/** The three states. */
export type BreakerState = "closed" | "open" | "half_open";

/** Numeric encoding for gauges: closed 0, half-open 1, open 2. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = {
  closed: 0,
  half_open: 1,
  open: 2,
};

/** Options of {@linkcode CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default {5} */
  failureThreshold?: number;
  /** Failure ratio (0..1] over the last `window` outcomes that opens it; 0 disables. @default {0} */
  failureRatio?: number;
  /** Outcomes the ratio is computed over; the ratio applies once the window is full. @default {20} */
  window?: number;
  /** Cooldown of the first trip, in ms. @default {30000} */
  cooldown?: number;
  /** Longest cooldown, in ms. @default {600000} */
  maxCooldown?: number;
  /** Cooldown growth per consecutive trip. @default {2} */
  multiplier?: number;
  /** Jitter as a fraction of the cooldown (±). @default {0.2} */
  jitter?: number;
  /** Random numbers in [0, 1). @default {Math.random} */
  random?: () => number;
}

/** One state change. */
export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  at: number;
  /** Why: "failures", "ratio", "cooldown elapsed", "probe failed", "probe succeeded", "reset". */
  reason: string;
  /** For transitions into `open`: how long it stays open, in ms. */
  cooldownMs?: number;
}

/** What `/status` shows of a breaker. */
export interface BreakerSnapshot {
  state: BreakerState;
  consecutive_failures: number;
  /** Failure ratio over the window (0 when empty). */
  failure_ratio: number;
  trips: number;
  transitions: number;
  /** Unix ms when an open breaker lets a probe through. */
  retry_at?: number;
  last_transition?: BreakerTransition;
}

function check(key: string, value: number, ok: boolean): number {
  if (ok) return value;
  throw new RangeError(
    `Cannot create the circuit breaker as '${key}' is out of range: current value is ${
      JSON.stringify(value)
    }`,
  );
}

/**
 * A circuit breaker. Call `allow()` before each attempt; when it returns
 * true, report the outcome with `success()` or `failure()`.
 *
 * @example Guarding a call
 * ```ts
 * const breaker = new CircuitBreaker(systemClock, { failureThreshold: 3 });
 * if (breaker.allow()) {
 *   try { await call(); breaker.success(); } catch { breaker.failure(); }
 * }
 * ```
 */
export class CircuitBreaker {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #ratio: number;
  readonly #window: number;
  readonly #backoff: Backoff;
  #state: BreakerState = "closed";
  #consecutive = 0;
  #outcomes: boolean[] = [];
  #failuresInWindow = 0;
  #openUntil = 0;
  #openUntilWall = 0;
  #probing = false;
  #trips = 0;
  #consecutiveTrips = 0;
  #transitions = 0;
  #last?: BreakerTransition;
  #listeners: ((t: BreakerTransition) => void)[] = [];

  constructor(clock: Clock, options: CircuitBreakerOptions = {}) {
    this.#clock = clock;
    const o = options;
    this.#threshold = check(
      "failureThreshold",
      o.failureThreshold ?? 5,
      Number.isInteger(o.failureThreshold ?? 5) && (o.failureThreshold ?? 5) >= 1,
    );
    this.#ratio = check(
      "failureRatio",
      o.failureRatio ?? 0,
      (o.failureRatio ?? 0) >= 0 && (o.failureRatio ?? 0) <= 1,
    );
    this.#window = check(
      "window",
      o.window ?? 20,
      Number.isInteger(o.window ?? 20) && (o.window ?? 20) >= 1,
    );
    const backoff: BackoffOptions = {
      initial: o.cooldown ?? 30_000,
      max: o.maxCooldown ?? 600_000,
      multiplier: o.multiplier ?? 2,
      jitter: o.jitter ?? 0.2,
      random: o.random,
    };
    this.#backoff = new Backoff(backoff);
  }

  /** Current state; an open breaker whose cooldown has passed reads as half-open. */
  get state(): BreakerState {
    this.#tick();
    return this.#state;
  }

  /** Registers a listener for transitions (one log line, one counter). */
  onTransition(fn: (t: BreakerTransition) => void): void {
    this.#listeners.push(fn);
  }

  /** Whether an attempt may go ahead now. In half-open, only one probe at a time. */
  allow(): boolean {
    this.#tick();
    if (this.#state === "closed") return true;
    if (this.#state === "open") return false;
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  /** Reports a successful attempt. */
  success(): void {
    this.#record(true);
    this.#consecutive = 0;
    if (this.#state === "half_open") {
      this.#probing = false;
      this.#consecutiveTrips = 0;
      this.#outcomes = [];
      this.#failuresInWindow = 0;
      this.#move("closed", "probe succeeded");
    }
  }

  /** Reports a failed attempt. */
  failure(): void {
    this.#record(false);
    this.#consecutive++;
    if (this.#state === "half_open") {
      this.#probing = false;
      this.#open("probe failed");
      return;
    }
    if (this.#state !== "closed") return;
    if (this.#consecutive >= this.#threshold) {
      this.#open("failures");
    } else if (
      this.#ratio > 0 && this.#outcomes.length >= this.#window &&
      this.#failuresInWindow / this.#outcomes.length >= this.#ratio
    ) {
      this.#open("ratio");
    }
  }

  /** Back to closed with no history (e.g. after an operator's reset). */
  reset(): void {
    this.#consecutive = 0;
    this.#consecutiveTrips = 0;
    this.#outcomes = [];
    this.#failuresInWindow = 0;
    this.#probing = false;
    if (this.#state !== "closed") this.#move("closed", "reset");
  }

  /** A copy for `/status`. */
  snapshot(): BreakerSnapshot {
    this.#tick();
    const s: BreakerSnapshot = {
      state: this.#state,
      consecutive_failures: this.#consecutive,
      failure_ratio: this.#outcomes.length
        ? Math.round((this.#failuresInWindow / this.#outcomes.length) * 1e4) / 1e4
        : 0,
      trips: this.#trips,
      transitions: this.#transitions,
    };
    if (this.#state === "open") s.retry_at = this.#openUntilWall;
    if (this.#last) s.last_transition = { ...this.#last };
    return s;
  }

  /** Transitions so far. */
  get transitions(): number {
    return this.#transitions;
  }

  #record(ok: boolean): void {
    this.#outcomes.push(ok);
    if (!ok) this.#failuresInWindow++;
    if (this.#outcomes.length > this.#window) {
      if (!this.#outcomes.shift()) this.#failuresInWindow--;
    }
  }

  #open(reason: string): void {
    const cooldown = this.#backoff.delay(this.#consecutiveTrips);
    this.#consecutiveTrips++;
    this.#trips++;
    this.#openUntil = this.#clock.monotonic() + cooldown;
    this.#openUntilWall = this.#clock.now() + cooldown;
    this.#move("open", reason, cooldown);
  }

  #tick(): void {
    if (this.#state === "open" && this.#clock.monotonic() >= this.#openUntil) {
      this.#move("half_open", "cooldown elapsed");
    }
  }

  #move(to: BreakerState, reason: string, cooldownMs?: number): void {
    const t: BreakerTransition = { from: this.#state, to, at: this.#clock.now(), reason };
    if (cooldownMs !== undefined) t.cooldownMs = Math.round(cooldownMs);
    this.#state = to;
    this.#transitions++;
    this.#last = t;
    for (const fn of this.#listeners) fn(t);
  }
}
