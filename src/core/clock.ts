/**
 * Time as a dependency. The agent owns time; components receive a clock so
 * that tests drive schedules with {@linkcode FakeClock} instead of sleeping.
 * @module
 */

/** A timer handle, opaque to callers. */
export type TimerHandle = unknown;

/** What the scheduler needs of time. */
export interface Clock {
  /** Unix milliseconds (wall time: for timestamps, never for scheduling). */
  now(): number;
  /** Milliseconds from an arbitrary origin that never jumps (for scheduling and durations). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
};

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manually advanced clock for tests.
 *
 * @example Firing a timer without waiting
 * ```ts
 * const clock = new FakeClock(0);
 * let fired = false;
 * clock.setTimeout(() => (fired = true), 1000);
 * await clock.advance(1000); // fired === true
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #timers: FakeTimer[] = [];
  #next = 1;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = { id: this.#next++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(t);
    return t.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward without firing timers, as a blocked event loop would. */
  jump(ms: number): void {
    this.#now += ms;
  }

  /**
   * Moves time forward, firing due timers in order and letting promise
   * callbacks they start run between timers.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.#timers[0];
      if (!t || t.at > target) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#now = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
