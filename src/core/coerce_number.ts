/**
 * Coercion of JSON-ish values (numbers, numeric strings, booleans) into finite
 * numbers, shared by the output parsers and the http source.
 * @module
 */
import { describe } from "./_formats_private.ts";

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
