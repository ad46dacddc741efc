/**
 * The JSON-lines parser: one sample object per line, an array per line, or
 * one (pretty-printed) JSON document. A bad line becomes an error with its
 * line number; the good lines around it are kept.
 * @module
 */
import {
  describe,
  invalidAttributeKey,
  invalidName,
  isTimestampInRange,
  limitsOf,
  lines,
  parseIsoDateTime,
  TIMESTAMP_RANGE,
} from "./_formats_private.ts";
import { coerceNumber } from "./coerce_number.ts";
import type { ParseOptions, ParseResult } from "./formats.ts";
import {
  type Attributes,
  isValidAttributeKey,
  isValidMetricName,
  METRIC_TYPES,
  type MetricType,
} from "./sample.ts";
import type { SampleInput } from "./sample.ts";

/**
 * Parses JSON lines, one sample object per line:
 * `{"name", "value", "attributes"?, "type"?, "timestamp"?, "unit"?, "description"?}`.
 * A line may also hold an array of such objects, and the whole text may be one
 * (pretty-printed) JSON array or object. `value` may be a number, a numeric
 * string or a boolean; `timestamp` is Unix milliseconds (a number) or an RFC 3339
 * (strict ISO 8601) date-time with an offset, such as `2024-01-02T03:04:05Z`,
 * between 2000-01-01 and 2100-01-01 (an earlier or later one is a unit or
 * clock bug upstream); attribute values become strings. Unknown keys are ignored.
 *
 * @example Two lines, one of them bad
 * ```ts
 * parseJsonSamples('{"name":"up","value":1}\nnot json');
 * // samples: [{ name: "up", value: 1 }], errors: [{ line: 2, message: "invalid JSON: ..." }]
 * ```
 */
export function parseJsonSamples(text: string, options: ParseOptions = {}): ParseResult {
  const limits = limitsOf(options);
  const result: ParseResult = { samples: [], errors: [] };
  const trimmed = text.trim();
  if ((trimmed.startsWith("[") || trimmed.startsWith("{")) && trimmed.includes("\n")) {
    // A pretty-printed document; JSON lines fail this parse and are read line by line below.
    let doc: unknown;
    let whole = true;
    try {
      doc = JSON.parse(trimmed);
    } catch {
      whole = false;
    }
    if (whole) {
      addJsonItems(doc, 1, result, limits.maxLines);
      return result;
    }
  }
  for (const [lineNo, line] of lines(text, limits, result)) {
    const t = line.trim();
    if (t === "") continue;
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch (err) {
      result.errors.push({ line: lineNo, message: `invalid JSON: ${(err as Error).message}` });
      continue;
    }
    addJsonItems(doc, lineNo, result, limits.maxLines);
  }
  return result;
}

function addJsonItems(doc: unknown, lineNo: number, result: ParseResult, maxItems: number): void {
  if (!Array.isArray(doc)) {
    const s = sampleFromJson(doc);
    if (typeof s === "string") result.errors.push({ line: lineNo, message: s });
    else result.samples.push(s);
    return;
  }
  doc.slice(0, maxItems).forEach((item, i) => {
    const s = sampleFromJson(item);
    if (typeof s === "string") result.errors.push({ line: lineNo, message: `item ${i}: ${s}` });
    else result.samples.push(s);
  });
  if (doc.length > maxItems) {
    result.errors.push({
      line: lineNo,
      message: `more than ${maxItems} items; the rest were ignored`,
    });
  }
}

/** A sample from one decoded JSON value, or why it is not one. */
function sampleFromJson(obj: unknown): SampleInput | string {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    return `expected a JSON object with "name" and "value", found ${describe(obj)}`;
  }
  const o = obj as Record<string, unknown>;
  if (typeof o.name !== "string") {
    return `expected "name" to be a string, found ${describe(o.name)}`;
  }
  if (!isValidMetricName(o.name)) return invalidName(o.name);
  const v = coerceNumber(o.value);
  if (!v.ok) return `${JSON.stringify(o.name)}: "value": ${v.message}`;
  const sample: SampleInput = { name: o.name, value: v.value };
  if (o.attributes !== undefined) {
    const a = attributesFromJson(o.attributes);
    if (typeof a === "string") return `${JSON.stringify(o.name)}: ${a}`;
    sample.attributes = a;
  }
  if (o.type !== undefined) {
    if (!METRIC_TYPES.includes(o.type as MetricType)) {
      return `${JSON.stringify(o.name)}: expected "type" to be one of ${
        METRIC_TYPES.join(", ")
      }, found ${describe(o.type)}`;
    }
    sample.type = o.type as MetricType;
  }
  if (o.timestamp !== undefined) {
    const ts = typeof o.timestamp === "string" ? parseIsoDateTime(o.timestamp) : o.timestamp;
    if (typeof ts !== "number" || !Number.isFinite(ts)) {
      return `${
        JSON.stringify(o.name)
      }: expected "timestamp" to be Unix milliseconds or an ISO 8601 string, found ${
        describe(o.timestamp)
      }`;
    }
    if (!isTimestampInRange(ts)) {
      return `${JSON.stringify(o.name)}: expected "timestamp" between ${TIMESTAMP_RANGE}, found ${
        describe(o.timestamp)
      }`;
    }
    sample.timestamp = Math.round(ts);
  }
  for (const key of ["unit", "description"] as const) {
    if (o[key] === undefined) continue;
    if (typeof o[key] !== "string") {
      return `${JSON.stringify(o.name)}: expected "${key}" to be a string, found ${
        describe(o[key])
      }`;
    }
    sample[key] = o[key];
  }
  return sample;
}

function attributesFromJson(raw: unknown): Attributes | string {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return `expected "attributes" to be an object, found ${describe(raw)}`;
  }
  const out: Attributes = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!isValidAttributeKey(k)) return invalidAttributeKey(k);
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      return `expected attribute ${JSON.stringify(k)} to be a string, number or boolean, found ${
        describe(v)
      }`;
    }
    out[k] = String(v);
  }
  return out;
}
