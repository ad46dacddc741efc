/**
 * A small path language to pick values out of a JSON document:
 * `data.items[0].count`, `$.stats["p99.9"]`, `list[-1]` (last item).
 * @module
 */

/** One step of a path: an object key or an array index (negative counts from the end). */
export type PathSegment = string | number;

/**
 * Parses a path; throws a `SyntaxError` whose message says what is wrong.
 *
 * Grammar: an optional `$`, then a bare key, then any of `.key`, `[index]`
 * and `["quoted key"]` (for keys with dots or brackets). `$` alone is the root.
 *
 * @example Parsing a path
 * ```ts
 * parseJsonPath('data.items[0]["p99.9"]'); // ["data", "items", 0, "p99.9"]
 * ```
 */
export function parseJsonPath(path: string): PathSegment[] {
  const segs: PathSegment[] = [];
  let i = path.startsWith("$") ? 1 : 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`invalid path ${JSON.stringify(path)}: ${what} at column ${i + 1}`);
  };
  const key = () => {
    const m = /[^.[\]"']+/y;
    m.lastIndex = i;
    if (!m.test(path)) fail("expected a key");
    segs.push(path.slice(i, m.lastIndex));
    i = m.lastIndex;
  };
  if (i === 0 && path[0] !== "[") key();
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      i++;
      key();
    } else if (c === "[") {
      i++;
      const q = path[i];
      if (q === '"' || q === "'") {
        const end = path.indexOf(q, i + 1);
        if (end === -1) fail("unterminated quoted key");
        segs.push(path.slice(i + 1, end));
        i = end + 1;
      } else {
        const m = /-?\d+/y;
        m.lastIndex = i;
        if (!m.test(path)) fail("expected an index or a quoted key");
        segs.push(Number(path.slice(i, m.lastIndex)));
        i = m.lastIndex;
      }
      if (path[i] !== "]") fail('expected "]"');
      i++;
    } else {
      fail(`unexpected ${JSON.stringify(c)}`);
    }
  }
  return segs;
}

/** Formats segments back into a path (for messages). */
export function formatJsonPath(segs: readonly PathSegment[]): string {
  let out = "";
  for (const s of segs) {
    if (typeof s === "number") out += `[${s}]`;
    else if (/^[^.[\]"']+$/.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out === "" ? "$" : out;
}

/**
 * Follows a parsed path; tells where it stopped when a step is missing.
 *
 * @example Picking a value
 * ```ts
 * getJsonPath({ a: [{ b: 2 }] }, ["a", 0, "b"]); // { found: true, value: 2 }
 * getJsonPath({ a: [] }, ["a", 0, "b"]); // { found: false, missing: "a[0]" }
 * ```
 */
export function getJsonPath(
  doc: unknown,
  segs: readonly PathSegment[],
): { found: true; value: unknown } | { found: false; missing: string } {
  let cur: unknown = doc;
  for (let k = 0; k < segs.length; k++) {
    const s = segs[k];
    let next: unknown;
    if (typeof s === "number") {
      if (Array.isArray(cur)) next = cur[s < 0 ? cur.length + s : s];
    } else if (
      cur !== null && typeof cur === "object" && !Array.isArray(cur) && Object.hasOwn(cur, s)
    ) {
      next = (cur as Record<string, unknown>)[s];
    }
    if (next === undefined) return { found: false, missing: formatJsonPath(segs.slice(0, k + 1)) };
    cur = next;
  }
  return { found: true, value: cur };
}
