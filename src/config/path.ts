/**
 * Key paths as users read them: `custom_metrics.sources[0].interval`, and the
 * plain-data helpers the loader shares.
 * @module
 */
import type { Path } from "./positions.ts";

const BARE = /^[A-Za-z0-9_-]+$/;

/**
 * Formats a key path the way error messages print it.
 *
 * @example Formatting paths
 * ```ts
 * formatPath(["custom_metrics", "sources", 0, "interval"]); // "custom_metrics.sources[0].interval"
 * formatPath(["headers", "X.Key"]); // 'headers."X.Key"'
 * ```
 */
export function formatPath(path: Path): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const key = BARE.test(seg) ? seg : JSON.stringify(seg);
      out += out === "" ? key : `.${key}`;
    }
  }
  return out;
}

/** A TOML table as a plain object (not an array, not a date). */
export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Sets an own property, also for the key `__proto__`. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else obj[key] = value;
}

/** The value at `path`, and whether it exists. */
export function lookup(root: unknown, path: Path): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === "number" && seg < cur.length) cur = cur[seg];
    else if (isTable(cur) && typeof seg === "string" && Object.hasOwn(cur, seg)) cur = cur[seg];
    else return { found: false, value: undefined };
  }
  return { found: true, value: cur };
}
