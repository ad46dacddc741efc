/** Helpers shared inside the export layer. @module */
import type { HrTime } from "@opentelemetry/api";
import { DataPointType, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { MetricType } from "../core/mod.ts";

/** The Sextant metric type behind an OTel metric stream. */
export function metricTypeOf(metric: MetricData): MetricType | undefined {
  switch (metric.dataPointType) {
    case DataPointType.GAUGE:
      return "gauge";
    case DataPointType.SUM:
      return metric.isMonotonic ? "counter" : "updowncounter";
    case DataPointType.HISTOGRAM:
      return "histogram";
    default:
      return undefined;
  }
}

/** Unix milliseconds of an OTel time. */
export function hrTimeToMs(t: HrTime): number {
  return t[0] * 1000 + Math.round(t[1] / 1e6);
}

/** How a number is written in Prometheus text and in console lines. */
export function formatNumber(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isNaN(v)) return "NaN";
  return String(v);
}

/** Whether a collection holds at least one data point. */
export function hasDataPoints(rm: ResourceMetrics): boolean {
  return rm.scopeMetrics.some((s) => s.metrics.some((m) => m.dataPoints.length > 0));
}

/** Data points in a batch (the unit drops are counted in). */
export function countDataPoints(rm: ResourceMetrics): number {
  let n = 0;
  for (const s of rm.scopeMetrics) for (const m of s.metrics) n += m.dataPoints.length;
  return n;
}

/**
 * A copy of `rm` without the data points `keep` refuses and without metrics
 * left empty. The OTel SDK keeps reporting, under cumulative temporality,
 * every series an observable instrument ever observed; this drops those no
 * source reports any more.
 */
export function filterDataPoints(
  rm: ResourceMetrics,
  keep: (metric: MetricData, attributes: Record<string, unknown>) => boolean,
): ResourceMetrics {
  return {
    resource: rm.resource,
    scopeMetrics: rm.scopeMetrics.map((scope) => ({
      scope: scope.scope,
      metrics: scope.metrics.flatMap((m): MetricData[] => {
        if (m.dataPointType !== DataPointType.GAUGE && m.dataPointType !== DataPointType.SUM) {
          return [m];
        }
        const dataPoints = m.dataPoints.filter((dp) => keep(m, dp.attributes));
        return dataPoints.length === 0 ? [] : [{ ...m, dataPoints }];
      }),
    })).filter((s) => s.metrics.length > 0),
  };
}

/** Runs `p` for at most `ms`; resolves `false` on time-out (`p` runs on). */
export function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  return Promise.race([p.then(() => true, () => true), deadline]).finally(() =>
    clearTimeout(timer)
  );
}

/**
 * A URL fit for logs and status: no user info, no query (tokens live there).
 *
 * @example Hiding credentials
 * ```ts
 * safeUrl("https://u:p@otlp.example/v1/metrics?key=x"); // "https://otlp.example/v1/metrics"
 * ```
 */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/** `decodeURIComponent`, or the text as it is when it is not valid percent-encoding. */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Replaces each secret occurring in `text` with `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3 && out.includes(s)) out = out.split(s).join("***");
  return out;
}
