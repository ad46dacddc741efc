/**
 * OTel metric data → Prometheus text exposition format 0.0.4. Written here
 * rather than taken from `@opentelemetry/exporter-prometheus` (see README):
 * every family gets real HELP text, counters end in `_total`, names never
 * get unit suffixes, and output is sorted so scrapes diff cleanly.
 * @module
 */
import type { Attributes as OtelAttributes } from "@opentelemetry/api";
import type { Histogram, MetricData, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { formatNumber, metricTypeOf } from "./_private.ts";
import {
  prometheusFamilyName,
  prometheusLabelName,
  prometheusSampleNames,
  TARGET_INFO,
} from "./prometheus_names.ts";

/** The `Content-Type` of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text: backslash and newline. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function attrValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  return JSON.stringify(v) ?? "";
}

/**
 * `{k="v",...}` for attributes (plus `extra`), or `""` when there are none.
 * With `identity`, without empty values: what Prometheus tells series apart by.
 */
function labels(attributes: OtelAttributes, extra?: [string, string], identity = false): string {
  const pairs: [string, string][] = [];
  const used = new Set<string>();
  for (const key of Object.keys(attributes).sort()) {
    const v = attributes[key];
    if (v === undefined || (identity && v === "")) continue;
    const name = prometheusLabelName(key);
    if (used.has(name)) continue; // refused at write time; never emit a duplicate label
    used.add(name);
    pairs.push([name, attrValue(v)]);
  }
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

function help(metric: MetricData): string {
  const { name, description, unit } = metric.descriptor;
  const text = description || name;
  return escapeHelp(unit ? `${text} (unit: ${unit})` : text);
}

function histogramLines(family: string, lbl: OtelAttributes, h: Histogram): string[] {
  const out: string[] = [];
  let cumulative = 0;
  const { boundaries, counts } = h.buckets;
  for (let i = 0; i < boundaries.length; i++) {
    cumulative += counts[i] ?? 0;
    out.push(`${family}_bucket${labels(lbl, ["le", formatNumber(boundaries[i])])} ${cumulative}`);
  }
  out.push(`${family}_bucket${labels(lbl, ["le", "+Inf"])} ${h.count}`);
  out.push(`${family}_sum${labels(lbl)} ${formatNumber(h.sum ?? 0)}`);
  out.push(`${family}_count${labels(lbl)} ${h.count}`);
  return out;
}

/**
 * Serializes one collection. `target_info` carries the resource attributes.
 *
 * @example Serving a collection
 * ```ts
 * const { resourceMetrics } = await reader.collect();
 * const body = serializePrometheus(resourceMetrics);
 * ```
 */
export function serializePrometheus(rm: ResourceMetrics): string {
  const lines: string[] = [
    `# HELP ${TARGET_INFO} Target metadata`,
    `# TYPE ${TARGET_INFO} gauge`,
    `${TARGET_INFO}${labels(rm.resource.attributes)} 1`,
  ];
  const families: { family: string; metric: MetricData }[] = [];
  const taken = new Set<string>([TARGET_INFO]);
  for (const scope of rm.scopeMetrics) {
    for (const metric of scope.metrics) {
      const type = metricTypeOf(metric);
      if (!type || metric.dataPoints.length === 0) continue;
      const names = prometheusSampleNames(metric.descriptor.name, type);
      if (names.some((n) => taken.has(n))) continue; // refused at write time; a scrape must never carry duplicates
      for (const n of names) taken.add(n);
      families.push({ family: prometheusFamilyName(metric.descriptor.name, type), metric });
    }
  }
  families.sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : 0));
  for (const { family, metric } of families) {
    const type = metricTypeOf(metric)!;
    lines.push(`# HELP ${family} ${help(metric)}`);
    lines.push(`# TYPE ${family} ${type === "updowncounter" ? "gauge" : type}`);
    const points = metric.dataPoints.map((dp) => ({ dp, key: labels(dp.attributes) }));
    points.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const series = new Set<string>();
    for (const { dp, key } of points) {
      // Refused at write time; a scrape must never carry a duplicate series.
      const id = labels(dp.attributes, undefined, true);
      if (series.has(id)) continue;
      series.add(id);
      if (type === "histogram") {
        lines.push(...histogramLines(family, dp.attributes, dp.value as Histogram));
      } else lines.push(`${family}${key} ${formatNumber(dp.value as number)}`);
    }
  }
  return lines.join("\n") + "\n";
}
