/**
 * Exponential backoff with jitter: the delay of attempt n is
 * `initial * multiplier^n`, capped at `max`, then spread by ±`jitter`.
 * Pure: the random source is injected for tests.
 * @module
 */

/** Options of {@linkcode Backoff}. */
export interface BackoffOptions {
  /** First delay, in ms. @default {1000} */
  initial?: number;
  /** Largest delay, in ms (jitter included). @default {60000} */
  max?: number;
  /** Growth per attempt. @default {2} */
  multiplier?: number;
  /** Spread as a fraction of the delay, 0..1 (0.2 = ±20%). @default {0.2} */
  jitter?: number;
  /** Random numbers in [0, 1). @default {Math.random} */
  random?: () => number;
}

/**
 * Computes retry delays.
 *
 * @example Delays of the first attempts
 * ```ts
 * const b = new Backoff({ initial: 100, max: 1000, jitter: 0 });
 * b.delay(0); // 100
 * b.delay(3); // 800
 * b.delay(9); // 1000
 * ```
 */
export class Backoff {
  readonly initial: number;
  readonly max: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initial = positive("initial", options.initial ?? 1000);
    this.max = positive("max", options.max ?? 60_000);
    this.multiplier = options.multiplier ?? 2;
    if (!(this.multiplier >= 1)) {
      throw new RangeError(
        `Cannot create the backoff as 'multiplier' must be at least 1: current value is ${this.multiplier}`,
      );
    }
    this.jitter = options.jitter ?? 0.2;
    if (!(this.jitter >= 0 && this.jitter <= 1)) {
      throw new RangeError(
        `Cannot create the backoff as 'jitter' must be between 0 and 1: current value is ${this.jitter}`,
      );
    }
    this.#random = options.random ?? Math.random;
  }

  /** The delay before retry number `attempt` (0-based), in ms. */
  delay(attempt: number): number {
    const base = Math.min(this.max, this.initial * this.multiplier ** Math.max(0, attempt));
    const spread = base * this.jitter * (2 * this.#random() - 1);
    return Math.max(0, Math.min(this.max, Math.round(base + spread)));
  }
}

function positive(key: string, value: number): number {
  if (Number.isFinite(value) && value > 0) return value;
  throw new RangeError(
    `Cannot create the backoff as '${key}' must be a positive number: current value is ${value}`,
  );
}
