/**
 * The metric model shared by every part of Sextant: a sample is one
 * observation of one series (name + attributes) at one time.
 * @module
 */

/** The OpenTelemetry instrument a sample feeds. */
export type MetricType = "gauge" | "counter" | "updowncounter" | "histogram";

/** All metric types, in the order they are documented. */
export const METRIC_TYPES: readonly MetricType[] = [
  "gauge",
  "counter",
  "updowncounter",
  "histogram",
];

/** Attribute values are strings: they become OTel attributes and Prometheus labels. */
export type Attributes = Record<string, string>;

/** One observation, fully qualified (`<source>.<metric>`). */
export interface Sample {
  name: string;
  value: number;
  type: MetricType;
  attributes: Attributes;
  /** Unix milliseconds. */
  timestamp: number;
  /** UCUM unit, e.g. `ms`, `By`, `%`, `1`. */
  unit?: string;
  description?: string;
}

/** What a source reports: names are relative to the source, the rest optional. */
export interface SampleInput {
  name: string;
  value: number;
  type?: MetricType;
  attributes?: Attributes;
  timestamp?: number;
  unit?: string;
  description?: string;
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/;

/**
 * Whether a metric name is acceptable to OpenTelemetry (and so, after dots
 * become underscores, to Prometheus).
 *
 * @example Checking names
 * ```ts
 * isValidMetricName("db.active_users"); // true
 * isValidMetricName("9lives"); // false
 * ```
 */
export function isValidMetricName(name: string): boolean {
  return NAME_RE.test(name);
}

const ATTR_KEY_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Whether an attribute key is acceptable as an OTel attribute and a Prometheus label. */
export function isValidAttributeKey(key: string): boolean {
  return ATTR_KEY_RE.test(key) && !key.startsWith("__");
}

/** A stable key for one series: name plus sorted attributes. */
export function seriesKey(name: string, attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  let key = name;
  for (const k of keys) key += `\u0000${k}\u0001${attributes[k]}`;
  return key;
}
