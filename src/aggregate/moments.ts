/**
 * Mergeable summary statistics of one pane: count, sum, min, max, variance
 * (Chan et al.'s parallel form of Welford's update) and the first/last
 * points with the counter increase between them, so `rate` and `delta`
 * survive counter resets and pane boundaries.
 * @module
 */

/** The statistics a `stats` rule may ask for. */
export const STATS = ["min", "max", "sum", "count", "avg", "stddev", "rate", "delta"] as const;
/** One of {@linkcode STATS}. */
export type Stat = typeof STATS[number];

/** An increase from `a` to `b` of a counter: a drop means it restarted from zero. */
function increase(a: number, b: number): number {
  return b >= a ? b - a : b;
}

/**
 * Mergeable statistics. Merge panes oldest first: `rate` and `delta` join
 * the last point of one pane to the first of the next.
 *
 * @example Counter increase across a reset
 * ```ts
 * const m = new Moments();
 * m.add(10, 0, true); m.add(15, 1000, true); m.add(3, 2000, true); // reset to 0, then +3
 * m.value("delta"); // 8
 * ```
 */
export class Moments {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  #mean = 0;
  #m2 = 0;
  firstValue = 0;
  firstTime = 0;
  lastValue = 0;
  lastTime = 0;
  /** Sum of increases between consecutive points, resets handled (counters). */
  #increase = 0;
  /** Whether any point came from a counter (then `delta` is reset-aware). */
  counter = false;

  /**
   * Adds one point; `counter` marks a monotonic input. Points may come out
   * of order: one older than the first becomes the first (its increase to
   * the old first counts); one between the first and the last counts in
   * every statistic but leaves the increase alone (exact unless the counter
   * also restarted within that span).
   */
  add(value: number, time: number, counter: boolean): void {
    if (this.count === 0) {
      this.firstValue = value;
      this.firstTime = time;
      this.lastValue = value;
      this.lastTime = time;
    } else if (time >= this.lastTime) {
      this.#increase += increase(this.lastValue, value);
      this.lastValue = value;
      this.lastTime = time;
    } else if (time < this.firstTime) {
      this.#increase += increase(value, this.firstValue);
      this.firstValue = value;
      this.firstTime = time;
    }
    this.counter ||= counter;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const d = value - this.#mean;
    this.#mean += d / this.count;
    this.#m2 += d * (value - this.#mean);
  }

  /** Appends a later pane. */
  merge(o: Moments): void {
    if (o.count === 0) return;
    if (this.count === 0) {
      this.firstValue = o.firstValue;
      this.firstTime = o.firstTime;
      this.#increase = o.#increase;
    } else {
      this.#increase += increase(this.lastValue, o.firstValue) + o.#increase;
    }
    this.lastValue = o.lastValue;
    this.lastTime = o.lastTime;
    this.counter ||= o.counter;
    const n = this.count + o.count;
    const d = o.#mean - this.#mean;
    this.#m2 += o.#m2 + (d * d * this.count * o.count) / n;
    this.#mean += (d * o.count) / n;
    this.count = n;
    this.sum += o.sum;
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
  }

  /**
   * One statistic, or `undefined` when it has no value: an empty window;
   * `rate` and `delta` with fewer than two points (rate: over no time).
   * `stddev` is the population standard deviation; `rate` is per second
   * between the first and last point in the window.
   */
  value(stat: Stat): number | undefined {
    if (this.count === 0) return stat === "count" ? 0 : stat === "sum" ? 0 : undefined;
    switch (stat) {
      case "count":
        return this.count;
      case "sum":
        return this.sum;
      case "min":
        return this.min;
      case "max":
        return this.max;
      case "avg":
        return this.sum / this.count;
      case "stddev":
        return Math.sqrt(Math.max(0, this.#m2 / this.count));
      case "delta":
        return this.count < 2 ? undefined : this.#delta();
      case "rate": {
        const span = this.lastTime - this.firstTime;
        return this.count < 2 || span <= 0 ? undefined : this.#delta() / (span / 1000);
      }
    }
  }

  #delta(): number {
    return this.counter ? this.#increase : this.lastValue - this.firstValue;
  }
}

/** Approximate bytes of one {@linkcode Moments}. */
export const MOMENTS_BYTES = 160;
