/**
 * The agent's periodic self-checks on its clock: event-loop lag (how late
 * a timer fires) and memory against `[custom_metrics.limits]`.
 * @module
 */
import type { Clock, Logger, Platform } from "../core/mod.ts";

/** Memory pressure: "ok", above the soft limit, or above the hard limit. */
export type MemoryLevel = "ok" | "soft" | "hard";

/** Options of {@linkcode SelfMonitor}. */
export interface SelfMonitorOptions {
  clock: Clock;
  platform: Platform;
  logger: Logger;
  /** How often the event loop is probed, in ms. @default {500} */
  lagInterval?: number;
  limits: {
    soft_memory?: number;
    hard_memory?: number;
    measure: "rss" | "heap";
    check_interval: number;
  };
  /** Called on each memory check above the soft limit, with the level. */
  onPressure(level: Exclude<MemoryLevel, "ok">, bytes: number): void;
  /** Called when memory falls back under the soft limit. */
  onRelief(): void;
}

/** What `/status` shows of the process. */
export interface ProcessHealth {
  event_loop_lag_ms: { last: number; max: number; p99: number };
  /** Share of wall time the loop was late (a rough busy ratio, 0..1). */
  event_loop_busy: number;
  memory: {
    level: MemoryLevel;
    measure: "rss" | "heap";
    bytes: number;
    soft_limit?: number;
    hard_limit?: number;
    soft_events: number;
    hard_events: number;
  };
}

const LAG_WINDOW = 120;

/** Probes the event loop and memory. */
export class SelfMonitor {
  readonly #o: SelfMonitorOptions;
  readonly #lagInterval: number;
  #lagTimer?: unknown;
  #memTimer?: unknown;
  #lags: number[] = [];
  #maxLag = 0;
  #lateSum = 0;
  #spanSum = 0;
  #level: MemoryLevel = "ok";
  #bytes = 0;
  #soft = 0;
  #hard = 0;
  #running = false;

  constructor(options: SelfMonitorOptions) {
    this.#o = options;
    this.#lagInterval = options.lagInterval ?? 500;
  }

  /** Starts both probes. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#probeLag();
    if (this.#o.limits.soft_memory !== undefined || this.#o.limits.hard_memory !== undefined) {
      this.#scheduleMemory();
    } else this.#bytes = this.#measure();
  }

  /** Stops both probes. */
  stop(): void {
    this.#running = false;
    this.#o.clock.clearTimeout(this.#lagTimer);
    this.#o.clock.clearTimeout(this.#memTimer);
  }

  #probeLag(): void {
    const clock = this.#o.clock;
    const expected = clock.monotonic() + this.#lagInterval;
    this.#lagTimer = clock.setTimeout(() => {
      const lag = Math.max(0, clock.monotonic() - expected);
      this.#lags.push(lag);
      if (this.#lags.length > LAG_WINDOW) this.#lags.shift();
      this.#maxLag = Math.max(this.#maxLag, lag);
      this.#lateSum += lag;
      this.#spanSum += this.#lagInterval + lag;
      // The logger has no timer: the counts of repeats whose window ended are written from here.
      this.#o.logger.flush();
      if (this.#running) this.#probeLag();
    }, this.#lagInterval);
  }

  #measure(): number {
    const m = this.#o.platform.memoryUsage();
    return this.#o.limits.measure === "heap" ? m.heapUsed : m.rss;
  }

  /** Checks memory now (also run every `check_interval`). */
  checkMemory(): MemoryLevel {
    const { soft_memory: soft, hard_memory: hard } = this.#o.limits;
    const bytes = this.#bytes = this.#measure();
    const level: MemoryLevel = hard !== undefined && bytes >= hard
      ? "hard"
      : soft !== undefined && bytes >= soft
      ? "soft"
      : "ok";
    const log = this.#o.logger;
    if (level !== this.#level) {
      const fields = { measure: this.#o.limits.measure, bytes, soft_limit: soft, hard_limit: hard };
      if (level === "ok") log.info("memory back under the soft limit", fields);
      else log.warn(`memory above the ${level} limit`, fields);
    }
    if (level === "soft") this.#soft++;
    if (level === "hard") this.#hard++;
    if (level !== "ok") this.#o.onPressure(level, bytes);
    else if (this.#level !== "ok") this.#o.onRelief();
    this.#level = level;
    return level;
  }

  #scheduleMemory(): void {
    this.checkMemory();
    this.#memTimer = this.#o.clock.setTimeout(() => {
      if (this.#running) this.#scheduleMemory();
    }, this.#o.limits.check_interval);
  }

  /** Current memory pressure. */
  get level(): MemoryLevel {
    return this.#level;
  }

  /** The latest event-loop lag, in ms. */
  get lastLag(): number {
    return this.#lags.at(-1) ?? 0;
  }

  /** A snapshot for `/status`. */
  health(): ProcessHealth {
    const sorted = [...this.#lags].sort((a, b) => a - b);
    const p99 = sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]
      : 0;
    const r = (n: number) => Math.round(n * 100) / 100;
    const l = this.#o.limits;
    return {
      event_loop_lag_ms: { last: r(this.lastLag), max: r(this.#maxLag), p99: r(p99) },
      event_loop_busy: this.#spanSum ? r(this.#lateSum / this.#spanSum) : 0,
      memory: {
        level: this.#level,
        measure: l.measure,
        bytes: this.#bytes || this.#measure(),
        ...(l.soft_memory !== undefined ? { soft_limit: l.soft_memory } : {}),
        ...(l.hard_memory !== undefined ? { hard_limit: l.hard_memory } : {}),
        soft_events: this.#soft,
        hard_events: this.#hard,
      },
    };
  }
}
