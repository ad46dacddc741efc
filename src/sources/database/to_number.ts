/**
 * Turns what a driver returns (number, bigint, numeric string, decimal
 * object, boolean, Date) into a float64, and says when that loses precision.
 * @module
 */

/** The outcome of converting one value. */
export type Converted =
  | { kind: "number"; value: number; lossy: boolean }
  | { kind: "null" }
  | { kind: "nan"; what: string };

const SHORT_DECIMAL = /^[+-]?\d+(?:\.\d+)?$/;
const DECIMAL = /^[+-]?(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Sign, significant digits and decimal exponent of decimal text: "0012.50" and "1.25e1" agree. */
function normalize(text: string): string {
  const m = DECIMAL.exec(text);
  if (!m) return text;
  let digits = m[1] + (m[2] ?? "");
  let point = m[1].length + Number(m[3] ?? 0);
  const lead = digits.length - digits.replace(/^0+/, "").length;
  digits = digits.slice(lead).replace(/0+$/, "");
  point -= lead;
  if (digits === "") return "0";
  return `${text.trim().startsWith("-") ? "-" : ""}${digits}e${point}`;
}

/** Whether decimal text survives conversion to a double: the double prints back the same number. */
function exactDecimal(text: string, value: number): boolean {
  return normalize(text) === normalize(String(value));
}

/**
 * Converts a database value to a number.
 *
 * @example Converting values
 * ```ts
 * toNumber(42n); // { kind: "number", value: 42, lossy: false }
 * toNumber("12345678901234567890"); // { kind: "number", value: 12345678901234567000, lossy: true }
 * toNumber(null); // { kind: "null" }
 * toNumber("n/a"); // { kind: "nan", what: 'text "n/a"' }
 * ```
 */
export function toNumber(v: unknown): Converted {
  if (v === null || v === undefined) return { kind: "null" };
  // The common case (PostgreSQL `count(*)` and `numeric` come as text): plain decimal text of at
  // most 15 digits is exact in a double (DBL_DIG), so no round-trip check is needed.
  if (typeof v === "string" && v.length <= 17 && SHORT_DECIMAL.test(v)) {
    let digits = v.length;
    if (v.charCodeAt(0) === 45 || v.charCodeAt(0) === 43) digits--; // sign
    if (v.includes(".")) digits--;
    if (digits <= 15) return { kind: "number", value: Number(v), lossy: false };
  }
  if (typeof v === "number") {
    return Number.isFinite(v)
      ? { kind: "number", value: v, lossy: false }
      : { kind: "nan", what: String(v) };
  }
  if (typeof v === "bigint") {
    const n = Number(v);
    return { kind: "number", value: n, lossy: BigInt(n) !== v };
  }
  if (typeof v === "boolean") return { kind: "number", value: v ? 1 : 0, lossy: false };
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isNaN(t) ? { kind: "nan", what: "an invalid date" } : {
      kind: "number",
      value: t / 1000,
      lossy: false,
    };
  }
  if (typeof v === "string" || (typeof v === "object" && typeof v.toString === "function")) {
    // Decimal types (mssql, some mysql2 settings) print as decimal text.
    const text = (typeof v === "string" ? v : String(v)).trim();
    if (!DECIMAL.test(text)) {
      if (/^[+-]?(nan|infinity|inf)$/i.test(text)) {
        return { kind: "nan", what: JSON.stringify(text) };
      }
      return { kind: "nan", what: `text ${JSON.stringify(text.slice(0, 40))}` };
    }
    const n = Number(text);
    if (!Number.isFinite(n)) {
      return { kind: "nan", what: `${JSON.stringify(text.slice(0, 40))} (out of range)` };
    }
    return { kind: "number", value: n, lossy: !exactDecimal(text, n) };
  }
  return { kind: "nan", what: typeof v };
}
