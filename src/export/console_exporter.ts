/**
 * The console exporter: prints the current metrics, one line per series, as
 * text or JSON, to an injected sink (the CLI passes stdout).
 * @module
 */
import {
  AggregationTemporality,
  type Histogram,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { formatNumber, hrTimeToMs, metricTypeOf } from "./_private.ts";
import { type ExportResult, FAILED, SUCCESS } from "./monitored_exporter.ts";
import { escapeLabelValue } from "./prometheus_serializer.ts";

/** A histogram in a JSON line; buckets are cumulative, like Prometheus `le`. */
export interface ConsoleHistogram {
  count: number;
  sum: number;
  min?: number;
  max?: number;
  buckets: { le: number | "+Inf"; count: number }[];
}

/** One JSON line: the shape of `once --format json` samples, plus `unit`. */
export interface ConsoleJsonLine {
  name: string;
  type: string;
  value: number | ConsoleHistogram;
  attributes: Record<string, string>;
  /** Unix ms. */
  timestamp: number;
  unit?: string;
}

function cumulativeBuckets(h: Histogram): { le: number | "+Inf"; count: number }[] {
  const out: { le: number | "+Inf"; count: number }[] = [];
  let total = 0;
  h.buckets.boundaries.forEach((le, i) => {
    total += h.buckets.counts[i] ?? 0;
    out.push({ le, count: total });
  });
  out.push({ le: "+Inf", count: h.count });
  return out;
}

function stringAttributes(attrs: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(attrs).sort()) {
    const v = attrs[k];
    if (v !== undefined) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/**
 * Formats one collection, one line per series.
 *
 * @example Text lines
 * ```ts
 * formatConsoleLines(rm, "text");
 * // ["2025-01-02T03:04:05.000Z gauge db.active_users{db=\"main\"} 42"]
 * ```
 */
export function formatConsoleLines(rm: ResourceMetrics, format: "text" | "json"): string[] {
  const lines: string[] = [];
  for (const scope of rm.scopeMetrics) {
    for (const metric of scope.metrics) {
      const type = metricTypeOf(metric);
      if (!type) continue;
      const { name, unit } = metric.descriptor;
      for (const dp of metric.dataPoints) {
        const attributes = stringAttributes(dp.attributes);
        const timestamp = hrTimeToMs(dp.endTime);
        const h = type === "histogram" ? dp.value as Histogram : undefined;
        if (format === "json") {
          const value: number | ConsoleHistogram = h
            ? {
              count: h.count,
              sum: h.sum ?? 0,
              ...(h.min !== undefined ? { min: h.min } : {}),
              ...(h.max !== undefined ? { max: h.max } : {}),
              buckets: cumulativeBuckets(h),
            }
            : dp.value as number;
          const line: ConsoleJsonLine = { name, type, value, attributes, timestamp };
          if (unit) line.unit = unit;
          lines.push(JSON.stringify(line));
          continue;
        }
        const lbl = Object.entries(attributes).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
          .join(",");
        let value: string;
        if (h) {
          // Buckets past the one that holds every value add nothing; +Inf closes the list.
          const buckets = cumulativeBuckets(h);
          const full = buckets.findIndex((b) => b.count === h.count);
          const shown = buckets.slice(0, full + 1);
          if (shown[shown.length - 1].le !== "+Inf") shown.push(buckets[buckets.length - 1]);
          value = `count=${h.count} sum=${formatNumber(h.sum ?? 0)}` +
            (h.min !== undefined ? ` min=${formatNumber(h.min)}` : "") +
            (h.max !== undefined ? ` max=${formatNumber(h.max)}` : "") +
            ` buckets=${shown.map((b) => `${b.le}:${b.count}`).join(",")}`;
        } else {
          value = formatNumber(dp.value as number);
        }
        lines.push(
          `${new Date(timestamp).toISOString()} ${type} ${name}{${lbl}} ${value}${
            unit ? ` ${unit}` : ""
          }`,
        );
      }
    }
  }
  return lines;
}

/** A {@linkcode PushMetricExporter} that writes {@linkcode formatConsoleLines} to a sink. */
export class ConsoleExporter implements PushMetricExporter {
  readonly #format: "text" | "json";
  readonly #write: (line: string) => void;

  constructor(format: "text" | "json", write: (line: string) => void) {
    this.#format = format;
    this.#write = write;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    try {
      for (const line of formatConsoleLines(metrics, this.#format)) this.#write(line);
      resultCallback({ code: SUCCESS });
    } catch (err) {
      resultCallback({ code: FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }
}
