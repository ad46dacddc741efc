/**
 * Runs tasks at fixed rates on an injected clock: a random start offset,
 * a timeout per run, and never two runs of one task at once (a tick that
 * finds the previous run still going is skipped and counted as an overrun).
 * @module
 */
import { type Clock, TimeoutError, type TimerHandle } from "../core/mod.ts";

/** One periodic job. */
export interface Task {
  name: string;
  /** Milliseconds between run starts. */
  interval: number;
  /** Milliseconds after which the run's signal is aborted with a `TimeoutError`. */
  timeout: number;
  run(signal: AbortSignal): Promise<void>;
}

/** Options of {@linkcode Scheduler}. */
export interface SchedulerOptions {
  clock: Clock;
  /** Largest start offset in ms; each task's is random in [0, min(jitter, interval)). @default {0} */
  jitter?: number;
  /** @default {Math.random} */
  random?: () => number;
  /** Called when a tick is skipped because the previous run has not finished. */
  onOverrun?: (name: string, skipped: number) => void;
}

interface Entry {
  task: Task;
  timer?: TimerHandle;
  next: number;
  running?: Promise<void>;
  controller?: AbortController;
  removed: boolean;
}

/**
 * A fixed-rate scheduler.
 *
 * @example Scheduling on a fake clock
 * ```ts
 * const clock = new FakeClock(0);
 * const s = new Scheduler({ clock });
 * s.add({ name: "a", interval: 1000, timeout: 500, run: async () => {} });
 * await clock.advance(3000); // runs at 0, 1000, 2000, 3000
 * ```
 */
export class Scheduler {
  #clock: Clock;
  #jitter: number;
  #random: () => number;
  #onOverrun?: (name: string, skipped: number) => void;
  #entries = new Map<string, Entry>();
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#clock = options.clock;
    this.#jitter = Math.max(0, options.jitter ?? 0);
    this.#random = options.random ?? Math.random;
    this.#onOverrun = options.onOverrun;
  }

  /** Schedules a task; its first run comes after a random offset. Replaces a task of the same name. */
  add(task: Task): void {
    if (this.#stopped) return;
    if (this.#entries.has(task.name)) void this.remove(task.name);
    const offset = Math.floor(this.#random() * Math.min(this.#jitter, task.interval));
    const entry: Entry = { task, next: this.#clock.monotonic() + offset, removed: false };
    this.#entries.set(task.name, entry);
    this.#arm(entry);
  }

  /** Names of the scheduled tasks. */
  get names(): string[] {
    return [...this.#entries.keys()];
  }

  /** Whether a run of the task is in flight. */
  isRunning(name: string): boolean {
    return this.#entries.get(name)?.running !== undefined;
  }

  /** Unschedules a task, aborts a run in flight and waits for it to settle. */
  async remove(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#entries.delete(name);
    entry.removed = true;
    if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
    entry.controller?.abort(new Error("task removed"));
    await entry.running;
  }

  /**
   * Stops scheduling. Runs in flight get until `graceMs` to finish, then are aborted;
   * resolves once all have settled.
   */
  async stop(graceMs = 0): Promise<void> {
    this.#stopped = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const e of entries) {
      e.removed = true;
      if (e.timer !== undefined) this.#clock.clearTimeout(e.timer);
    }
    const running = entries.filter((e) => e.running);
    if (running.length === 0) return;
    if (graceMs > 0) {
      let timer: TimerHandle | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = this.#clock.setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.all(running.map((e) => e.running)), grace]);
      this.#clock.clearTimeout(timer);
    }
    for (const e of running) e.controller?.abort(new Error("shutting down"));
    await Promise.all(running.map((e) => e.running));
  }

  #arm(entry: Entry): void {
    const delay = Math.max(0, entry.next - this.#clock.monotonic());
    entry.timer = this.#clock.setTimeout(() => this.#tick(entry), delay);
  }

  #tick(entry: Entry): void {
    if (entry.removed) return;
    const now = this.#clock.monotonic();
    const { interval } = entry.task;
    const due = entry.next;
    // Ticks missed while the process was blocked (or the clock source stalled).
    const missed = Math.max(0, Math.floor((now - due) / interval));
    entry.next = due + (missed + 1) * interval;
    let skipped = missed;
    if (entry.running) skipped++;
    else this.#start(entry, due);
    if (skipped > 0) this.#onOverrun?.(entry.task.name, skipped);
    this.#arm(entry);
  }

  #start(entry: Entry, due: number): void {
    const controller = new AbortController();
    entry.controller = controller;
    // The deadline counts from the tick's due time, so a run whose timeout equals
    // its interval is aborted before the next tick rather than after it.
    const timer = this.#clock.setTimeout(
      () =>
        controller.abort(
          new TimeoutError(`collection of ${JSON.stringify(entry.task.name)}`, entry.task.timeout),
        ),
      Math.max(0, due + entry.task.timeout - this.#clock.monotonic()),
    );
    entry.running = (async () => {
      await Promise.resolve();
      try {
        await entry.task.run(controller.signal);
      } catch {
        // The task reports its own failures; the scheduler only keeps time.
      } finally {
        this.#clock.clearTimeout(timer);
        if (entry.controller === controller) {
          entry.running = undefined;
          entry.controller = undefined;
        }
      }
    })();
  }
}
