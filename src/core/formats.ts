/**
 * Parsers for what commands, files and exec plugins print: a bare number,
 * JSON lines (or one JSON array) of samples, and Prometheus text exposition
 * 0.0.4. Pure: text in, samples and per-line errors out. A bad line becomes an
 * error with its line number; the good lines around it are kept.
 * @module
 */
import {
  type Attributes,
  isValidAttributeKey,
  isValidMetricName,
  METRIC_TYPES,
  type MetricType,
} from "./sample.ts";
import type { SampleInput } from "./sample.ts";

/** One line that could not be turned into a sample. */
export interface ParseError {
  /** 1-based line number in the parsed text. */
  line: number;
  message: string;
}

/** What a parser produced: the valid samples and one error per bad line. */
export interface ParseResult {
  samples: SampleInput[];
  errors: ParseError[];
}

/** The output formats Sextant understands. */
export type OutputFormat = "number" | "json" | "prometheus";

/** All output formats, plus `auto` (detect from the text). */
export const OUTPUT_FORMATS: readonly ["auto", ...OutputFormat[]] = [
  "auto",
  "number",
  "json",
  "prometheus",
];

/** Limits of every parser. */
export interface ParseOptions {
  /** Lines beyond this are ignored and reported once. @default {100_000} */
  maxLines?: number;
  /** A longer line is an error. @default {65_536} */
  maxLineLength?: number;
}

/** Options of {@linkcode parseNumber} and {@linkcode parseOutput}. */
export interface NumberParseOptions extends ParseOptions {
  /** Name of the sample a bare number becomes. @default {"value"} */
  name?: string;
}

const DEFAULT_MAX_LINES = 100_000;
const DEFAULT_MAX_LINE_LENGTH = 65_536;
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Turns a JSON-ish value into a finite number: numbers, numeric strings and
 * booleans (1/0) are accepted; anything else yields a message.
 *
 * @example Coercing values
 * ```ts
 * coerceNumber("42.5"); // { ok: true, value: 42.5 }
 * coerceNumber(true); // { ok: true, value: 1 }
 * coerceNumber("n/a"); // { ok: false, message: 'expected a number, found "n/a"' }
 * ```
 */
export function coerceNumber(
  value: unknown,
): { ok: true; value: number } | { ok: false; message: string } {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "boolean") n = value ? 1 : 0;
  else if (typeof value === "bigint") n = Number(value);
  else if (typeof value === "string") {
    const t = value.trim();
    if (!NUMBER_RE.test(t)) {
      return { ok: false, message: `expected a number, found ${describe(value)}` };
    }
    n = Number(t);
  } else return { ok: false, message: `expected a number, found ${describe(value)}` };
  if (!Number.isFinite(n)) {
    return { ok: false, message: `expected a finite number, found ${describe(value)}` };
  }
  return { ok: true, value: n };
}

/**
 * Parses text that holds one number (or `true`/`false`), e.g. the output of
 * `wc -l`. Extra non-empty lines are errors; empty text is an error.
 *
 * @example A command's output
 * ```ts
 * parseNumber("42\n", { name: "queue_depth" });
 * // { samples: [{ name: "queue_depth", value: 42 }], errors: [] }
 * ```
 */
export function parseNumber(text: string, options: NumberParseOptions = {}): ParseResult {
  const name = options.name ?? "value";
  if (!isValidMetricName(name)) {
    throw new TypeError(
      `Cannot parse a number as 'name' must be a valid metric name: current value is ${
        describe(name)
      }`,
    );
  }
  const limits = limitsOf(options);
  const result: ParseResult = { samples: [], errors: [] };
  let seen = false;
  for (const [lineNo, line] of lines(text, limits, result)) {
    const t = line.trim();
    if (t === "") continue;
    if (seen) {
      result.errors.push({
        line: lineNo,
        message: `expected a single number, found more output: ${describe(t)}`,
      });
      continue;
    }
    seen = true;
    const v = t === "true" || t === "false" ? coerceNumber(t === "true") : coerceNumber(t);
    if (v.ok) result.samples.push({ name, value: v.value });
    else result.errors.push({ line: lineNo, message: v.message });
  }
  if (!seen && result.errors.length === 0) {
    result.errors.push({ line: 1, message: "expected a number, found empty output" });
  }
  return result;
}

/**
 * Parses JSON lines, one sample object per line:
 * `{"name", "value", "attributes"?, "type"?, "timestamp"?, "unit"?, "description"?}`.
 * A line may also hold an array of such objects, and the whole text may be one
 * (pretty-printed) JSON array or object. `value` may be a number, a numeric
 * string or a boolean; `timestamp` is Unix milliseconds or an ISO 8601 string;
 * attribute values become strings. Unknown keys are ignored.
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
    const ts = typeof o.timestamp === "string" ? Date.parse(o.timestamp) : o.timestamp;
    if (typeof ts !== "number" || !Number.isFinite(ts) || ts < 0) {
      return `${
        JSON.stringify(o.name)
      }: expected "timestamp" to be Unix milliseconds or an ISO 8601 string, found ${
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
 * - `# HELP` becomes the samples' `description`; a timestamp (ms) is kept;
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
    if (key in into) return `duplicate label ${JSON.stringify(key)}`;
    into[key] = value;
    blanks();
    if (line[i] === ",") i++;
    else if (line[i] !== "}") return `expected "," or "}" after label ${JSON.stringify(key)}`;
  }
}

/**
 * Guesses the format of a command's or file's output: JSON when the first
 * non-empty line starts with `{` or `[`, a number when the text is a single
 * token, Prometheus text otherwise.
 *
 * @example Detecting
 * ```ts
 * detectFormat("42\n"); // "number"
 * detectFormat('{"name":"a","value":1}'); // "json"
 * detectFormat("# TYPE a gauge\na 1\n"); // "prometheus"
 * ```
 */
export function detectFormat(text: string): OutputFormat {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) return "json";
  if (trimmed.startsWith("#")) return "prometheus";
  if (!/\s/.test(trimmed)) return "number";
  return "prometheus";
}

/**
 * Parses text in the given format, or in the detected one for `"auto"`.
 * Empty text is an error in `auto` and `number` mode, and no samples otherwise.
 *
 * @example Auto-detection
 * ```ts
 * const r = parseOutput("jobs 3\n", "auto");
 * // r.format === "prometheus", r.samples[0] is { name: "jobs", value: 3 }
 * ```
 */
export function parseOutput(
  text: string,
  format: "auto" | OutputFormat,
  options: NumberParseOptions = {},
): ParseResult & { format: OutputFormat } {
  const f = format === "auto" ? detectFormat(text) : format;
  switch (f) {
    case "number":
      return { format: f, ...parseNumber(text, options) };
    case "json":
      return { format: f, ...parseJsonSamples(text, options) };
    case "prometheus":
      return { format: f, ...parsePrometheusText(text, options) };
  }
}

interface Limits {
  maxLines: number;
  maxLength: number;
}

/** The options' limits, validated up front. */
function limitsOf(options: ParseOptions): Limits {
  const maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  const maxLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  for (const [key, v] of [["maxLines", maxLines], ["maxLineLength", maxLength]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(
        `Cannot parse output as '${key}' must be a positive integer: current value is ${v}`,
      );
    }
  }
  return { maxLines, maxLength };
}

/** Yields `[lineNumber, line]`, enforcing the line limits into `result.errors`. */
function* lines(text: string, limits: Limits, result: ParseResult): Generator<[number, string]> {
  const { maxLines, maxLength } = limits;
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    lineNo++;
    if (lineNo > maxLines) {
      if (text.slice(start).trim() !== "") {
        result.errors.push({
          line: lineNo,
          message: `more than ${maxLines} lines; the rest was ignored`,
        });
      }
      return;
    }
    let line = text.slice(start, end);
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length > maxLength) {
      result.errors.push({ line: lineNo, message: `line is longer than ${maxLength} characters` });
    } else {
      yield [lineNo, line];
    }
    start = end + 1;
  }
}

function invalidName(name: string): string {
  return `invalid metric name ${
    describe(name)
  }: a name starts with a letter and holds letters, digits, '_', '.', '-' or '/' (at most 255)`;
}

function invalidAttributeKey(key: string): string {
  return `invalid attribute key ${
    describe(key)
  }: a key starts with a letter or '_' (not '__') and holds letters, digits, '_' or '.'`;
}

/** Outside text for a message: JSON-quoted and cut to a readable length. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "an object";
  const s = typeof value === "bigint" || typeof value === "number"
    ? String(value)
    : JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
