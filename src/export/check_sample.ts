/**
 * The checks a sample must pass before the export layer takes it, and the
 * identity of its series in Prometheus. Pure: no OTel, no I/O.
 * @module
 */
import {
  type Attributes,
  isValidAttributeKey,
  isValidMetricName,
  METRIC_TYPES,
  type MetricType,
  type Sample,
  seriesKey,
} from "../core/mod.ts";
import { prometheusLabelName } from "./prometheus_names.ts";

/** A sample that passed {@linkcode checkSample}. */
export interface CheckedSample {
  name: string;
  type: MetricType;
  value: number;
  /** Values as strings (numbers and booleans converted). */
  attributes: Attributes;
  /**
   * The labels of its series in Prometheus: mapped names, sorted, without
   * empty values (Prometheus treats an empty label as an absent one).
   */
  labels: [string, string][];
  unit?: string;
  description?: string;
  /** `seriesKey(name, attributes)`: the series as OTel knows it. */
  key: string;
}

const UNIT_RE = /^[\x21-\x7e]{0,63}$/;

/**
 * Entries a name cache holds before it starts over: names and attribute keys
 * repeat on every collection, so a cache spares the regex checks and the
 * label mapping per sample; the bound keeps a source that invents names
 * without end from growing it.
 */
const CACHE_LIMIT = 4096;

/** Metric name → whether it is valid. */
const validNames = new Map<string, boolean>();
/** Attribute key → its Prometheus label name, or `undefined` when the key is invalid. */
const labelNames = new Map<string, string | undefined>();

function validName(name: string): boolean {
  let ok = validNames.get(name);
  if (ok === undefined) {
    if (validNames.size >= CACHE_LIMIT) validNames.clear();
    ok = isValidMetricName(name);
    validNames.set(name, ok);
  }
  return ok;
}

function labelOf(key: string): string | undefined {
  const cached = labelNames.get(key);
  if (cached !== undefined || labelNames.has(key)) return cached;
  if (labelNames.size >= CACHE_LIMIT) labelNames.clear();
  const label = isValidAttributeKey(key) ? prometheusLabelName(key) : undefined;
  labelNames.set(key, label);
  return label;
}

const byLabel = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Validates one sample; returns the reason when it is unusable.
 *
 * @example Checking a sample
 * ```ts
 * const checked = checkSample({ name: "db.rows", value: 3, type: "gauge", attributes: { "db.name": "main" }, timestamp: 0 });
 * if (typeof checked !== "string") checked.labels; // [["db_name", "main"]]
 * ```
 */
export function checkSample(sample: Sample): CheckedSample | string {
  if (typeof sample !== "object" || sample === null) {
    return `a sample must be an object, found ${typeof sample}`;
  }
  const { name, type, value } = sample;
  if (typeof name !== "string" || !validName(name)) {
    return `invalid metric name ${
      JSON.stringify(name)
    }: expected a letter, then letters, digits, '_', '.', '-' or '/' (at most 255)`;
  }
  if (!(METRIC_TYPES as readonly unknown[]).includes(type)) {
    return `metric ${JSON.stringify(name)}: type must be one of ${METRIC_TYPES.join(", ")}, found ${
      JSON.stringify(type)
    }`;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return `metric ${JSON.stringify(name)}: value must be a finite number, found ${
      typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value)
    }`;
  }
  if ((type === "counter" || type === "histogram") && value < 0) {
    return `metric ${JSON.stringify(name)}: a ${type} value must not be negative, found ${value}`;
  }
  const attributes: Attributes = {};
  /** Label names taken so far, with their keys, as [label, key] pairs (few: a linear scan). */
  const owners: string[] = [];
  const labels: [string, string][] = [];
  const raw = sample.attributes ?? {};
  if (typeof raw !== "object") {
    return `metric ${JSON.stringify(name)}: attributes must be an object`;
  }
  const keys = Object.keys(raw);
  for (const key of keys) {
    const label = labelOf(key);
    if (label === undefined) {
      return `metric ${JSON.stringify(name)}: invalid attribute key ${
        JSON.stringify(key)
      }: expected [A-Za-z_][A-Za-z0-9_.]*, not starting with "__"`;
    }
    const v = (raw as Record<string, unknown>)[key];
    let text: string;
    if (typeof v === "string") text = v;
    else if (typeof v === "number" || typeof v === "boolean") text = String(v);
    else {
      return `metric ${JSON.stringify(name)}: attribute ${
        JSON.stringify(key)
      } must be a string, found ${v === null ? "null" : typeof v}`;
    }
    attributes[key] = text;
    for (let i = 0; i < owners.length; i += 2) {
      if (owners[i] === label) {
        return `metric ${JSON.stringify(name)}: attributes ${JSON.stringify(owners[i + 1])} and ${
          JSON.stringify(key)
        } both become the Prometheus label ${JSON.stringify(label)}`;
      }
    }
    owners.push(label, key);
    if (text !== "") labels.push([label, text]);
  }
  if (
    sample.unit !== undefined && (typeof sample.unit !== "string" || !UNIT_RE.test(sample.unit))
  ) {
    return `metric ${
      JSON.stringify(name)
    }: unit must be at most 63 printable ASCII characters, found ${JSON.stringify(sample.unit)}`;
  }
  if (labels.length > 1) labels.sort(byLabel);
  const description = typeof sample.description === "string" ? sample.description : undefined;
  return {
    name,
    type,
    value,
    attributes,
    labels,
    unit: sample.unit || undefined,
    description,
    key: seriesKey(name, attributes),
  };
}
