/**
 * The Prometheus text exposition format 0.0.4 parser. A bad line becomes an
 * error with its line number; the good lines around it are kept.
 * @module
 */
import {
  describe,
  invalidAttributeKey,
  invalidName,
  isTimestampInRange,
  limitsOf,
  lines,
  TIMESTAMP_RANGE,
} from "./_formats_private.ts";
import type { ParseOptions, ParseResult } from "./formats.ts";
import {
  type Attributes,
  isValidAttributeKey,
  isValidMetricName,
  type MetricType,
} from "./sample.ts";
import type { SampleInput } from "./sample.ts";

/** Prometheus metric types of the text format 0.0.4. */
type PromType = "counter" | "gauge" | "histogram" | "summary" | "untyped";
const PROM_TYPES: readonly PromType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

/**
 * Parses Prometheus text exposition format 0.0.4.
 *
 * Mapping to samples:
 * - names and labels are kept as they are (`http_requests_total{code="200"}`);
 *   a name Sextant cannot carry (`a:b`, `_x`) or a `__` label is an error;
 * - `counter` → type `counter`, `gauge` → `gauge`, `untyped` or no `# TYPE`
 *   → no type (the source's default applies);
 * - histogram and summary families become plain series named the way Sextant
 *   names statistics, so that they export cleanly again (no `le` or
 *   `quantile` label on a non-histogram): for a family `x`, `x_sum` → `x.sum`
 *   and `x_count` → `x.count` (counters); a histogram's `x_bucket{le="0.5"}`
 *   → `x.bucket{upper_bound="0.5"}` (counter, cumulative); a summary's
 *   `x{quantile="0.99"}` → `x.p99` (gauge; 0.999 → `x.p99.9`). They are
 *   series, not a Sextant `histogram` (which records observations);
 * - `# HELP` becomes the samples' `description`; a timestamp (ms) is kept
 *   when it lies between 2000-01-01 and 2100-01-01, and is an error otherwise;
 * - a `NaN` value (a summary quantile with no observations, a staleness
 *   marker) is skipped without an error; `+Inf`/`-Inf` values are errors.
 *
 * @example One family
 * ```ts
 * parsePrometheusText('# TYPE jobs_total counter\njobs_total{queue="a"} 7\n');
 * // samples: [{ name: "jobs_total", value: 7, type: "counter", attributes: { queue: "a" } }]
 * ```
 */
export function parsePrometheusText(text: string, options: ParseOptions = {}): ParseResult {
  const limits = limitsOf(options);
  const result: ParseResult = { samples: [], errors: [] };
  const types = new Map<string, PromType>();
  const help = new Map<string, string>();
  for (const [lineNo, raw] of lines(text, limits, result)) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const err = parseComment(line, types, help);
      if (err) result.errors.push({ line: lineNo, message: err });
      continue;
    }
    const parsed = parseSeriesLine(line);
    if (typeof parsed === "string") {
      result.errors.push({ line: lineNo, message: parsed });
      continue;
    }
    if (Number.isNaN(parsed.value)) continue;
    if (!Number.isFinite(parsed.value)) {
      result.errors.push({
        line: lineNo,
        message: `${JSON.stringify(parsed.name)}: value ${parsed.raw} is not finite`,
      });
      continue;
    }
    if (!isValidMetricName(parsed.name)) {
      result.errors.push({ line: lineNo, message: invalidName(parsed.name) });
      continue;
    }
    const family = familyOf(parsed.name, types);
    const sample = toSample(parsed, family);
    if (typeof sample === "string") {
      result.errors.push({ line: lineNo, message: `${JSON.stringify(parsed.name)}: ${sample}` });
      continue;
    }
    const description = help.get(family.base);
    if (description !== undefined) sample.description = description;
    if (parsed.timestamp !== undefined) sample.timestamp = parsed.timestamp;
    result.samples.push(sample);
  }
  return result;
}

function parseComment(
  line: string,
  types: Map<string, PromType>,
  help: Map<string, string>,
): string | undefined {
  const m = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
  if (!m) return undefined; // any other comment
  const [, keyword, name, rest = ""] = m;
  if (!PROM_NAME_RE.test(name)) return `# ${keyword}: invalid metric name ${JSON.stringify(name)}`;
  if (keyword === "HELP") {
    help.set(name, rest.replace(/\\(\\|n)/g, (_m, c) => (c === "n" ? "\n" : "\\")));
    return undefined;
  }
  const type = rest.trim();
  if (!PROM_TYPES.includes(type as PromType)) {
    return `# TYPE ${name}: expected one of ${PROM_TYPES.join(", ")}, found ${
      JSON.stringify(type)
    }`;
  }
  if (types.has(name)) return `# TYPE ${name}: a second TYPE line for the same metric`;
  types.set(name, type as PromType);
  return undefined;
}

/** The TYPE'd family a series belongs to; `suffix` is set for a histogram's or summary's `_bucket`/`_sum`/`_count`. */
interface Family {
  base: string;
  type: PromType;
  suffix?: "bucket" | "sum" | "count";
}

function familyOf(name: string, types: Map<string, PromType>): Family {
  const own = types.get(name);
  if (own !== undefined) return { base: name, type: own };
  for (const suffix of ["bucket", "sum", "count"] as const) {
    if (!name.endsWith(`_${suffix}`)) continue;
    const base = name.slice(0, -suffix.length - 1);
    const t = types.get(base);
    if (t === "histogram" || (t === "summary" && suffix !== "bucket")) {
      return { base, type: t, suffix };
    }
  }
  return { base: name, type: "untyped" };
}

/** The sample one series line becomes (see {@linkcode parsePrometheusText}), or what is wrong with it. */
function toSample(line: SeriesLine, family: Family): SampleInput | string {
  const attributes = { ...line.attributes };
  let name = line.name;
  let type: MetricType | undefined;
  if (family.suffix) {
    name = `${family.base}.${family.suffix}`;
    type = "counter";
    if (family.suffix === "bucket") {
      if (attributes.le === undefined) return `histogram bucket without "le"`;
      attributes.upper_bound = attributes.le;
      delete attributes.le;
    }
  } else if (family.type === "summary") {
    const q = attributes.quantile;
    if (q === undefined) return `summary sample without "quantile"`;
    const quantile = Number(q);
    if (q.trim() === "" || !(quantile >= 0 && quantile <= 1)) {
      return `expected "quantile" between 0 and 1, found ${describe(q)}`;
    }
    delete attributes.quantile;
    name = `${family.base}.p${Number((quantile * 100).toPrecision(12))}`;
    type = "gauge";
  } else if (family.type === "counter" || family.type === "gauge") {
    type = family.type;
  }
  const sample: SampleInput = { name, value: line.value };
  if (Object.keys(attributes).length > 0) sample.attributes = attributes;
  if (type) sample.type = type;
  return sample;
}

const PROM_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const PROM_NAME_START = /[a-zA-Z_:]/y;
const PROM_NAME_PART = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const PROM_VALUE_RE =
  /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity)|nan)$/i;

interface SeriesLine {
  name: string;
  attributes: Attributes;
  value: number;
  raw: string;
  timestamp?: number;
}

/** One `name{labels} value [timestamp]` line, or what is wrong with it. */
function parseSeriesLine(line: string): SeriesLine | string {
  PROM_NAME_START.lastIndex = 0;
  if (!PROM_NAME_START.test(line)) {
    return `expected a metric name, found ${describe(line.slice(0, 40))}`;
  }
  PROM_NAME_PART.lastIndex = 0;
  PROM_NAME_PART.test(line);
  const name = line.slice(0, PROM_NAME_PART.lastIndex);
  let i = PROM_NAME_PART.lastIndex;
  const attributes: Attributes = {};
  if (line[i] === "{") {
    const end = parseLabels(line, i + 1, attributes);
    if (typeof end === "string") return `${JSON.stringify(name)}: ${end}`;
    i = end;
  } else if (i < line.length && line[i] !== " " && line[i] !== "\t") {
    return `${JSON.stringify(name)}: unexpected ${JSON.stringify(line[i])} after the metric name`;
  }
  const rest = line.slice(i).trim().split(/[ \t]+/).filter((t) => t !== "");
  if (rest.length === 0) return `${JSON.stringify(name)}: missing value`;
  if (rest.length > 2) {
    return `${JSON.stringify(name)}: unexpected text after the timestamp: ${describe(rest[2])}`;
  }
  if (!PROM_VALUE_RE.test(rest[0])) {
    return `${JSON.stringify(name)}: expected a number, found ${describe(rest[0])}`;
  }
  const lower = rest[0].toLowerCase();
  const value = lower.endsWith("nan")
    ? NaN
    : lower.includes("inf")
    ? (lower.startsWith("-") ? -Infinity : Infinity)
    : Number(rest[0]);
  const out: SeriesLine = { name, attributes, value, raw: rest[0] };
  if (rest.length === 2) {
    const ts = Number(rest[1]);
    if (!/^-?\d+$/.test(rest[1]) || !Number.isSafeInteger(ts)) {
      return `${JSON.stringify(name)}: expected a timestamp in milliseconds, found ${
        describe(rest[1])
      }`;
    }
    if (!isTimestampInRange(ts)) {
      return `${
        JSON.stringify(name)
      }: expected a timestamp in milliseconds between ${TIMESTAMP_RANGE}, found ${
        describe(rest[1])
      }`;
    }
    out.timestamp = ts;
  }
  return out;
}

/** Reads labels from just after `{`; returns the index after `}` or an error. */
function parseLabels(line: string, start: number, into: Attributes): number | string {
  let i = start;
  const blanks = () => {
    while (line[i] === " " || line[i] === "\t") i++;
  };
  for (;;) {
    blanks();
    if (line[i] === "}") return i + 1;
    LABEL_NAME.lastIndex = i;
    if (!LABEL_NAME.test(line)) return `expected a label name at column ${i + 1}`;
    const key = line.slice(i, LABEL_NAME.lastIndex);
    i = LABEL_NAME.lastIndex;
    blanks();
    if (line[i] !== "=") return `expected "=" after label ${JSON.stringify(key)}`;
    i++;
    blanks();
    if (line[i] !== '"') return `expected a quoted value for label ${JSON.stringify(key)}`;
    i++;
    let value = "";
    for (;;) {
      const c = line[i];
      if (c === undefined) return `unterminated value of label ${JSON.stringify(key)}`;
      i++;
      if (c === '"') break;
      if (c !== "\\") {
        value += c;
        continue;
      }
      const e = line[i++];
      if (e === "\\" || e === '"') value += e;
      else if (e === "n") value += "\n";
      else return `invalid escape "\\${e ?? ""}" in label ${JSON.stringify(key)}`;
    }
    if (!isValidAttributeKey(key)) return invalidAttributeKey(key);
    // Own keys only: `constructor` or `toString` is a label like any other.
    if (Object.hasOwn(into, key)) return `duplicate label ${JSON.stringify(key)}`;
    into[key] = value;
    blanks();
    if (line[i] === ",") i++;
    else if (line[i] !== "}") return `expected "," or "}" after label ${JSON.stringify(key)}`;
  }
}
