/**
 * Parsers for what commands, files and exec plugins print: a bare number,
 * JSON lines (or one JSON array) of samples, and Prometheus text exposition
 * 0.0.4. Pure: text in, samples and per-line errors out. A bad line becomes an
 * error with its line number; the good lines around it are kept.
 *
 * This module holds the shared types, `parseNumber`, `detectFormat` and
 * `parseOutput`; the other parsers live in `json_samples.ts` and
 * `prometheus_text.ts` and are re-exported here.
 * @module
 */
import { describe, limitsOf, lines } from "./_formats_private.ts";
import { coerceNumber } from "./coerce_number.ts";
import { parseJsonSamples } from "./json_samples.ts";
import { parsePrometheusText } from "./prometheus_text.ts";
import { isValidMetricName } from "./sample.ts";
import type { SampleInput } from "./sample.ts";

export { coerceNumber } from "./coerce_number.ts";
export { parseJsonSamples } from "./json_samples.ts";
export { parsePrometheusText } from "./prometheus_text.ts";

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

/** Line errors a source reports per collection; the rest are summed up in one more error. */
export const REPORTED_LINE_ERRORS = 10;

/**
 * Splits parse errors into the first `max`, to report one by one, and the
 * number of further lines with errors, to report as one summary. Output that
 * is garbage from top to bottom then costs a few errors, not one per line.
 *
 * @example 50 bad lines
 * ```ts
 * const { shown, moreLines } = limitLineErrors(parseJsonSamples("x\n".repeat(50)).errors);
 * // shown.length === 10, moreLines === 40
 * ```
 */
export function limitLineErrors(
  errors: readonly ParseError[],
  max: number = REPORTED_LINE_ERRORS,
): { shown: ParseError[]; moreLines: number } {
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new RangeError(
      `Cannot limit line errors as 'max' must be a non-negative integer: current value is ${max}`,
    );
  }
  const shown = errors.slice(0, max);
  const seen = new Set(shown.map((e) => e.line));
  const more = new Set<number>();
  for (let i = max; i < errors.length; i++) {
    if (!seen.has(errors[i].line)) more.add(errors[i].line);
  }
  return { shown, moreLines: more.size };
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
