/**
 * Durations as written in configs: a number means seconds, a string is one or
 * more `<number><unit>` parts (`500ms`, `30s`, `5m`, `1h30m`, `7d`).
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a duration into milliseconds, or returns an error message.
 *
 * @example Parsing durations
 * ```ts
 * parseDuration(60); // { ok: true, ms: 60000 }
 * parseDuration("1h30m"); // { ok: true, ms: 5400000 }
 * parseDuration("5 minutes"); // { ok: false, message: ... }
 * ```
 */
export function parseDuration(
  value: unknown,
): { ok: true; ms: number } | { ok: false; message: string } {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      return { ok: false, message: `expected a non-negative number of seconds, found ${value}` };
    }
    return { ok: true, ms: Math.round(value * 1000) };
  }
  if (typeof value !== "string") {
    return {
      ok: false,
      message: `expected a duration (seconds or a string like "30s"), found ${typeof value}`,
    };
  }
  const text = value.trim();
  if (text === "") return { ok: false, message: `expected a duration like "30s", found ""` };
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) {
      return {
        ok: false,
        message: `expected a duration like "500ms", "30s", "5m", "1h" or "1h30m", found ${
          JSON.stringify(value)
        }`,
      };
    }
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = PART.lastIndex;
  }
  return { ok: true, ms: Math.round(total) };
}

/**
 * Formats milliseconds compactly (`300000` → `"5m"`).
 *
 * @example Formatting
 * ```ts
 * formatDuration(90_000); // "1m30s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  let rest = ms;
  let out = "";
  for (
    const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const
  ) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
