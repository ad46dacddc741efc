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

/** Earliest timestamp a parser accepts: 2000-01-01T00:00:00Z. */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
/** First timestamp a parser rejects: 2100-01-01T00:00:00Z. */
export const MAX_TIMESTAMP_MS = Date.UTC(2100, 0, 1);
/** The accepted range, for messages. */
export const TIMESTAMP_RANGE = "2000-01-01 and 2100-01-01";

/** Whether Unix milliseconds are finite and in [2000, 2100): a sample from 1970 or 1e300 is a bug upstream. */
export function isTimestampInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_TIMESTAMP_MS && ms < MAX_TIMESTAMP_MS;
}

// RFC 3339, the strict profile of ISO 8601: a full date, a time and an offset.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Unix milliseconds of an RFC 3339 date-time (`2024-01-02T03:04:05.678Z`,
 * `2024-01-02T05:04:05+02:00`), or `undefined` for anything else: no
 * date-only or offset-less forms (their zone is a guess), no `Date.parse`
 * leniency (`"1"` is not the year 2001), no impossible dates.
 */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const day = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC maps years 0-99 to 1900-1999; those are out of range anyway.
  if (day.getUTCDate() !== d || day.getUTCMonth() !== mo - 1) return undefined;
  let offset = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) + fraction - offset;
}
