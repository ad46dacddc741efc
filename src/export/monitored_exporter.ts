/**
 * Wraps a push exporter (OTLP, console): drops series no source reports any
 * more, bounds each export by a deadline, and turns every outcome into an
 * {@linkcode ExporterStats} event. Failures never escape as rejections.
 * @module
 */
import {
  AggregationTemporality,
  type InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { TimeoutError } from "../core/mod.ts";
import { hasDataPoints } from "./_private.ts";
import type { ExporterStats } from "./exporter_status.ts";
import type { RetryQueue } from "./retry_queue.ts";

/** The result type PushMetricExporter callbacks receive. */
export type ExportResult = Parameters<Parameters<PushMetricExporter["export"]>[1]>[0];

/** `ExportResultCode` of `@opentelemetry/core` (not a dependency of its own here). */
export const SUCCESS = 0 as ExportResult["code"];
/** `ExportResultCode.FAILED`. */
export const FAILED = 1 as ExportResult["code"];

/** Options of {@linkcode MonitoredExporter}. */
export interface MonitoredExporterOptions {
  stats: ExporterStats;
  /** Deadline of one export, in ms; a callback that never comes counts as a failure then. */
  timeoutMs: number;
  /** Removes stale series; returns the data to send. */
  filter: (rm: ResourceMetrics) => ResourceMetrics;
  /** Turns an export error into one safe log line (no secrets, no stack). */
  describe: (err: unknown) => string;
  /** Failed batches wait here and are re-sent after a backoff; without it they are lost. */
  retry?: RetryQueue;
}

/** A {@linkcode PushMetricExporter} that reports to an {@linkcode ExporterStats}. */
export class MonitoredExporter implements PushMetricExporter {
  readonly #inner: PushMetricExporter;
  readonly #opts: MonitoredExporterOptions;
  /** Settles when the drain in progress stops (queue empty, a failure, or a backoff). */
  #draining?: Promise<void>;

  constructor(inner: PushMetricExporter, options: MonitoredExporterOptions) {
    this.#inner = inner;
    this.#opts = options;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    const data = this.#opts.filter(metrics);
    const retry = this.#opts.retry;
    if (!hasDataPoints(data)) {
      resultCallback({ code: SUCCESS });
      return;
    }
    if (retry && (retry.backingOff || retry.size > 0 || this.#draining)) {
      // Accepted into the queue: it goes out after the older batches, once any backoff has passed.
      retry.add(data);
      resultCallback({ code: SUCCESS });
      this.#drain();
      return;
    }
    this.#send(data, (result) => {
      if (result.code === SUCCESS) {
        retry?.succeeded();
      } else if (retry) {
        retry.add(data);
        retry.failed();
      }
      resultCallback(result);
    });
  }

  /** One bounded attempt; reports it to the stats. */
  #send(data: ResourceMetrics, done: (result: ExportResult) => void): void {
    let settled = false;
    const finish = (result: ExportResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.code === SUCCESS) this.#opts.stats.succeeded();
      else this.#opts.stats.failed(this.#opts.describe(result.error));
      done(result);
    };
    const timer = setTimeout(() => {
      finish({ code: FAILED, error: new TimeoutError("export", this.#opts.timeoutMs) });
    }, this.#opts.timeoutMs);
    try {
      this.#inner.export(data, finish);
    } catch (err) {
      finish({ code: FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  /**
   * Re-sends queued batches one at a time, oldest first, until the queue is
   * empty or one fails (which starts a backoff). Settles when it stops.
   */
  #drain(): Promise<void> {
    const retry = this.#opts.retry;
    if (this.#draining) return this.#draining;
    if (!retry || retry.size === 0 || retry.backingOff) return Promise.resolve();
    this.#draining = new Promise<void>((resolve) => {
      const stop = () => {
        this.#draining = undefined;
        resolve();
      };
      const next = () => {
        const batch = retry.backingOff ? undefined : retry.take();
        if (!batch) return stop();
        this.#send(batch, (result) => {
          if (result.code === SUCCESS) {
            retry.succeeded(true);
            next();
          } else {
            retry.requeue(batch);
            retry.failed();
            stop();
          }
        });
      };
      next();
    });
    return this.#draining;
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }

  /**
   * Sends what the retry queue holds, oldest first, whatever the backoff,
   * until it is empty or a send fails; then shuts the inner exporter down.
   * The caller bounds it (`shutdown_timeout`) and counts what is left
   * ({@linkcode RetryQueue.abandon}).
   */
  async shutdown(): Promise<void> {
    const retry = this.#opts.retry;
    if (retry) {
      await this.#draining;
      retry.expedite();
      await this.#drain();
    }
    return this.#inner.shutdown();
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.#inner.selectAggregationTemporality?.(instrumentType) ??
      AggregationTemporality.CUMULATIVE;
  }
}
