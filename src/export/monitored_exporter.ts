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
}

/** A {@linkcode PushMetricExporter} that reports to an {@linkcode ExporterStats}. */
export class MonitoredExporter implements PushMetricExporter {
  readonly #inner: PushMetricExporter;
  readonly #opts: MonitoredExporterOptions;

  constructor(inner: PushMetricExporter, options: MonitoredExporterOptions) {
    this.#inner = inner;
    this.#opts = options;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    const data = this.#opts.filter(metrics);
    if (!hasDataPoints(data)) {
      resultCallback({ code: SUCCESS });
      return;
    }
    let done = false;
    const finish = (result: ExportResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (result.code === SUCCESS) this.#opts.stats.succeeded();
      else this.#opts.stats.failed(this.#opts.describe(result.error));
      resultCallback(result);
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

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.#inner.selectAggregationTemporality?.(instrumentType) ??
      AggregationTemporality.CUMULATIVE;
  }
}
