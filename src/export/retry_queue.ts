/**
 * The retry queue of a push exporter: batches whose export failed wait in a
 * bounded buffer (the oldest dropped and counted when it is full) and are
 * re-sent, oldest first, once the backoff after the last failure has passed.
 * It outlives the OTel generations, so a state rebuild loses nothing.
 * @module
 */
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { Backoff, BoundedBuffer } from "../resilience/mod.ts";
import { countDataPoints } from "./_private.ts";

/** What `status()` shows of a retry queue. */
export interface QueueStatus {
  /** Batches waiting. */
  size: number;
  capacity: number;
  /** Data points waiting. */
  points: number;
  dropped_batches: number;
  dropped_points: number;
  /** Batches delivered from the queue (failed before, or queued behind one that had). */
  retried: number;
  /** Unix ms before which nothing is sent (backoff), when backing off. */
  retry_at?: number;
}

/** Options of {@linkcode RetryQueue}. */
export interface RetryQueueOptions {
  /** Batches kept at most. */
  capacity: number;
  /** First backoff, in ms. */
  initial: number;
  /** Longest backoff, in ms. */
  max: number;
  /** Monotonic ms. @default {performance.now} */
  monotonic?: () => number;
  /** Wall ms. @default {Date.now} */
  now?: () => number;
  /** Called with each batch dropped to make room (for the log). */
  onDrop?: (points: number) => void;
}

/** A bounded retry queue with backoff. */
export class RetryQueue {
  readonly #buffer: BoundedBuffer<ResourceMetrics>;
  readonly #backoff: Backoff;
  readonly #capacity: number;
  readonly #mono: () => number;
  readonly #now: () => number;
  readonly #onDrop?: (points: number) => void;
  #failures = 0;
  #until = 0;
  #untilWall = 0;
  #retried = 0;

  constructor(o: RetryQueueOptions) {
    this.#capacity = o.capacity;
    this.#buffer = new BoundedBuffer(o.capacity);
    this.#backoff = new Backoff({ initial: o.initial, max: o.max, multiplier: 2, jitter: 0.2 });
    this.#mono = o.monotonic ?? (() => performance.now());
    this.#now = o.now ?? Date.now;
    this.#onDrop = o.onDrop;
  }

  /** True while backing off after a failure: new batches go straight to the queue. */
  get backingOff(): boolean {
    return this.#mono() < this.#until;
  }

  /** Batches waiting. */
  get size(): number {
    return this.#buffer.size;
  }

  /** Queues a batch: a failed one, or a new one behind older ones or during a backoff. */
  add(batch: ResourceMetrics): void {
    this.#dropped(this.#buffer.push(batch, countDataPoints(batch)));
  }

  /** Puts a batch whose retry failed back in front. */
  requeue(batch: ResourceMetrics): void {
    this.#dropped(this.#buffer.unshift(batch, countDataPoints(batch)));
  }

  #dropped(batches: ResourceMetrics[]): void {
    for (const b of batches) this.#onDrop?.(countDataPoints(b));
  }

  /** The oldest batch, removed. */
  take(): ResourceMetrics | undefined {
    return this.#buffer.shift();
  }

  /** An export failed: back off (longer each time in a row). */
  failed(): void {
    const delay = this.#backoff.delay(this.#failures++);
    this.#until = this.#mono() + delay;
    this.#untilWall = this.#now() + delay;
  }

  /** An explicit flush or the final export: try now, whatever the backoff. */
  expedite(): void {
    this.#until = 0;
  }

  /** An export succeeded: no backoff. `fromQueue` when it was a queued batch (counted as retried). */
  succeeded(fromQueue = false): void {
    this.#failures = 0;
    this.#until = 0;
    if (fromQueue) this.#retried++;
  }

  /**
   * Shutdown: gives up on every batch still waiting, counted as dropped
   * (`dropped_batches`, `dropped_points`); returns what was given up.
   */
  abandon(): { batches: number; points: number } {
    const points = this.#buffer.weight;
    return { batches: this.#buffer.dropAll().length, points };
  }

  /** Memory pressure: keep a quarter of the capacity (at least one batch). */
  shrink(): void {
    this.#dropped(this.#buffer.resize(Math.max(1, Math.floor(this.#capacity / 4))));
  }

  /** Pressure gone: the configured capacity again. */
  relieve(): void {
    this.#buffer.resize(this.#capacity);
  }

  /** A copy for `status()`. */
  snapshot(): QueueStatus {
    const s: QueueStatus = {
      size: this.#buffer.size,
      capacity: this.#buffer.capacity,
      points: this.#buffer.weight,
      dropped_batches: this.#buffer.dropped,
      dropped_points: this.#buffer.droppedWeight,
      retried: this.#retried,
    };
    if (this.backingOff) s.retry_at = Math.round(this.#untilWall);
    return s;
  }
}
