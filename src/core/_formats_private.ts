/**
 * Helpers shared by the output parsers in `formats.ts`, `json_samples.ts` and
 * `prometheus_text.ts`: limits, line splitting and error-message text. Not
 * part of the public API.
 * @module
 */
import type { ParseOptions, ParseResult } from "./formats.ts";

const DEFAULT_MAX_LINES = 100_000;
const DEFAULT_MAX_LINE_LENGTH = 65_536;

export interface Limits {
  maxLines: number;
  maxLength: number;
}

/** The options' limits, validated up front. */
export function limitsOf(options: ParseOptions): Limits {
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
export function* lines(
  text: string,
  limits: Limits,
  result: ParseResult,
): Generator<[number, string]> {
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

export function invalidName(name: string): string {
  return `invalid metric name ${
    describe(name)
  }: a name starts with a letter and holds letters, digits, '_', '.', '-' or '/' (at most 255)`;
}

export function invalidAttributeKey(key: string): string {
  return `invalid attribute key ${
    describe(key)
  }: a key starts with a letter or '_' (not '__') and holds letters, digits, '_' or '.'`;
}

/** Outside text for a message: JSON-quoted and cut to a readable length. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "an object";
  const s = typeof value === "bigint" || typeof value === "number"
    ? String(value)
    : JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
