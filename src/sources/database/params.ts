/**
 * Query parameters: relative-time tokens (`"now"`, `"15m_ago"`, `"7d_ago"`)
 * become timestamps, everything else is bound as it is. Values are always
 * bound by the driver, never pasted into SQL.
 * @module
 */

const AGO = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)_ago$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A configured parameter. */
export type ParamValue = string | number | boolean;

/** Whether a string parameter is a relative-time token. */
export function isTimeToken(value: string): boolean {
  return value === "now" || AGO.test(value);
}

/**
 * Resolves a parameter at `now` (Unix ms): a time token becomes a `Date`,
 * anything else is returned unchanged. Write `"\\now"` to bind the text "now".
 *
 * @example Resolving tokens
 * ```ts
 * resolveParam("1h_ago", 7_200_000); // Date(3_600_000)
 * resolveParam("EU", 0); // "EU"
 * ```
 */
export function resolveParam(value: ParamValue, now: number): ParamValue | Date {
  if (typeof value !== "string") return value;
  if (value === "now") return new Date(now);
  const m = AGO.exec(value);
  if (m) return new Date(now - Number(m[1]) * UNIT_MS[m[2]]);
  // A leading backslash escapes a token: "\\1h_ago" binds the text "1h_ago".
  if (value.startsWith("\\") && isTimeToken(value.slice(1))) return value.slice(1);
  return value;
}
