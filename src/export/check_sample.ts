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
}

const UNIT_RE = /^[\x21-\x7e]{0,63}$/;

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
  if (typeof name !== "string" || !isValidMetricName(name)) {
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
  const owners = new Map<string, string>();
  const labels: [string, string][] = [];
  const raw = sample.attributes ?? {};
  if (typeof raw !== "object") {
    return `metric ${JSON.stringify(name)}: attributes must be an object`;
  }
  for (const [key, v] of Object.entries(raw)) {
    if (!isValidAttributeKey(key)) {
      return `metric ${JSON.stringify(name)}: invalid attribute key ${
        JSON.stringify(key)
      }: expected [A-Za-z_][A-Za-z0-9_.]*, not starting with "__"`;
    }
    let text: string;
    if (typeof v === "number" || typeof v === "boolean") text = String(v);
    else if (typeof v === "string") text = v;
    else {
      return `metric ${JSON.stringify(name)}: attribute ${
        JSON.stringify(key)
      } must be a string, found ${v === null ? "null" : typeof v}`;
    }
    attributes[key] = text;
    const label = prometheusLabelName(key);
    const clash = owners.get(label);
    if (clash !== undefined) {
      return `metric ${JSON.stringify(name)}: attributes ${JSON.stringify(clash)} and ${
        JSON.stringify(key)
      } both become the Prometheus label ${JSON.stringify(label)}`;
    }
    owners.set(label, key);
    if (text !== "") labels.push([label, text]);
  }
  if (
    sample.unit !== undefined && (typeof sample.unit !== "string" || !UNIT_RE.test(sample.unit))
  ) {
    return `metric ${
      JSON.stringify(name)
    }: unit must be at most 63 printable ASCII characters, found ${JSON.stringify(sample.unit)}`;
  }
  labels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const description = typeof sample.description === "string" ? sample.description : undefined;
  return { name, type, value, attributes, labels, unit: sample.unit || undefined, description };
}
