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
  #draining = false;
  #shutdown = false;

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
    if (retry?.backingOff) {
      // Accepted into the queue: it goes out with the next attempt after the backoff.
      retry.add(data);
      resultCallback({ code: SUCCESS });
      return;
    }
    this.#send(data, (result) => {
      if (result.code === SUCCESS) {
        retry?.succeeded();
        this.#drain();
      } else if (retry && !this.#shutdown) {
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

  /** Re-sends queued batches one at a time, oldest first, until one fails. */
  #drain(): void {
    const retry = this.#opts.retry;
    if (!retry || this.#draining || this.#shutdown || retry.size === 0) return;
    this.#draining = true;
    const next = () => {
      const batch = this.#shutdown || retry.backingOff ? undefined : retry.take();
      if (!batch) {
        this.#draining = false;
        return;
      }
      this.#send(batch, (result) => {
        if (result.code === SUCCESS) {
          retry.succeeded(true);
          next();
        } else {
          retry.requeue(batch);
          retry.failed();
          this.#draining = false;
        }
      });
    };
    next();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }

  shutdown(): Promise<void> {
    this.#shutdown = true;
    return this.#inner.shutdown();
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.#inner.selectAggregationTemporality?.(instrumentType) ??
      AggregationTemporality.CUMULATIVE;
  }
}
