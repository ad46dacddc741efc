/**
 * The small part of semantic versioning plugins need: parse `x.y.z` and
 * test it against a range (`^1`, `~1.2`, `>=1.0.0 <2`, `1.x`, `*`). Written
 * here because no semver package is installed and this is all we use.
 * @module
 */

/** The plugin API version this host implements. */
export const HOST_API_VERSION = "1.0.0";

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses `x.y.z` (with optional pre-release and build); `undefined` when invalid. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = VERSION.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

type Cmp = { op: "<" | "<=" | ">" | ">=" | "="; v: [number, number, number] };

function cmp(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Turns one range term (`^1.2`, `~1`, `>=1.0.0`, `1.x`) into comparators; `undefined` when invalid. */
function term(t: string): Cmp[] | undefined {
  if (t === "*" || t === "x" || t === "X") return [];
  const m = /^(\^|~|>=|<=|>|<|=)?v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(t);
  if (!m) return undefined;
  const op = m[1] ?? "";
  const parts = [m[2], m[3], m[4]];
  const known = parts.findIndex((p) => p === undefined || /[xX*]/.test(p));
  const n = known === -1 ? 3 : known;
  const v = parts.map((p, i) => (i < n ? Number(p) : 0)) as [number, number, number];
  const up = (i: number): [number, number, number] =>
    i === 0 ? [v[0] + 1, 0, 0] : i === 1 ? [v[0], v[1] + 1, 0] : [v[0], v[1], v[2] + 1];
  if (op === "^") {
    // The left-most non-zero part may not change.
    const i = v[0] > 0 || n === 1 ? 0 : v[1] > 0 || n === 2 ? 1 : 2;
    return [{ op: ">=", v }, { op: "<", v: up(i) }];
  }
  if (op === "~") return [{ op: ">=", v }, { op: "<", v: up(n >= 2 ? 1 : 0) }];
  if (op === "" || op === "=") {
    if (n === 3) return [{ op: "=", v }];
    if (n === 0) return [];
    return [{ op: ">=", v }, { op: "<", v: up(n - 1) }];
  }
  return [{ op: op as Cmp["op"], v }];
}

/** Parses a range (space-separated terms are ANDed, `||` ORs); `undefined` when invalid. */
export function parseRange(range: string): Cmp[][] | undefined {
  const alternatives = range.split("||").map((alt) => alt.trim());
  const out: Cmp[][] = [];
  for (const alt of alternatives) {
    if (alt === "") return undefined;
    const terms = alt.split(/\s+/).map(term);
    if (terms.some((t) => t === undefined)) return undefined;
    out.push((terms as Cmp[][]).flat());
  }
  return out;
}

/**
 * Whether `version` satisfies `range`.
 *
 * @example
 * ```ts
 * satisfies("1.4.0", "^1"); // true
 * satisfies("2.0.0", "^1"); // false
 * ```
 */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  const r = parseRange(range);
  if (!v || !r) return false;
  return r.some((alt) =>
    alt.every(({ op, v: w }) => {
      const c = cmp(v, w);
      return op === "<"
        ? c < 0
        : op === "<="
        ? c <= 0
        : op === ">"
        ? c > 0
        : op === ">="
        ? c >= 0
        : c === 0;
    })
  );
}
