/**
 * How OTel names become Prometheus names. One place, so that the write-time
 * collision checks and the serializer can never disagree.
 * @module
 */
import type { MetricType } from "../core/mod.ts";

const INVALID = /[^A-Za-z0-9_]/g;
const RUNS = /_{2,}/g;

/**
 * A Prometheus metric name for an OTel name: characters other than
 * `[A-Za-z0-9_]` become `_` and runs of `_` collapse (as the OTel
 * Prometheus-compatibility spec does), e.g. `db.active_users` → `db_active_users`.
 *
 * @example Mapping a dotted name
 * ```ts
 * prometheusMetricName("api_health.response-time"); // "api_health_response_time"
 * ```
 */
export function prometheusMetricName(name: string): string {
  const out = name.replace(INVALID, "_").replace(RUNS, "_");
  return /^[0-9]/.test(out) ? `_${out}` : out;
}

/** Label names a non-histogram, non-summary series must not carry; they get an `exported_` prefix. */
const RESERVED_LABELS = new Set(["le", "quantile"]);

/**
 * A Prometheus label name for an attribute key (`host.name` → `host_name`).
 * `le` and `quantile` become `exported_le` and `exported_quantile`, the
 * prefix Prometheus itself uses for clashing labels.
 *
 * @example Mapping keys
 * ```ts
 * prometheusLabelName("k8s.pod.name"); // "k8s_pod_name"
 * prometheusLabelName("le"); // "exported_le"
 * ```
 */
export function prometheusLabelName(key: string): string {
  const out = prometheusMetricName(key);
  return RESERVED_LABELS.has(out) ? `exported_${out}` : out;
}

/** Suffixes Prometheus reserves for counters, histograms and summaries (`promtool check metrics` lints them). */
const RESERVED_SUFFIX = /_(?:total|count|sum|bucket)$/;

/**
 * The family name in `# TYPE`: counters end in `_total`; a gauge or
 * up-down counter whose name ends in a reserved suffix gets `_value`
 * appended (the aggregate `x.count` is `x_count_value`), so the exposition
 * passes `promtool check metrics`. OTel names are unchanged.
 *
 * @example Reserved suffixes
 * ```ts
 * prometheusFamilyName("api.latency.count", "gauge"); // "api_latency_count_value"
 * prometheusFamilyName("api.requests", "counter"); // "api_requests_total"
 * ```
 */
export function prometheusFamilyName(name: string, type: MetricType): string {
  const base = prometheusMetricName(name);
  if (type === "counter") return base.endsWith("_total") ? base : `${base}_total`;
  if (type !== "histogram" && RESERVED_SUFFIX.test(base)) return `${base}_value`;
  return base;
}

/** Every sample name a family writes (a histogram writes four). */
export function prometheusSampleNames(name: string, type: MetricType): string[] {
  const family = prometheusFamilyName(name, type);
  if (type === "histogram") return [family, `${family}_bucket`, `${family}_sum`, `${family}_count`];
  return [family];
}

/** The family Sextant writes itself, for the OTel resource. */
export const TARGET_INFO = "target_info";
