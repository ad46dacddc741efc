/**
 * Where each key of a TOML document was written. smol-toml reports values
 * but not positions, so this scanner walks text that smol-toml has already
 * accepted and records `line:col` for every key path, array element and
 * array-of-tables entry.
 * @module
 */

/** A key path inside a document: table keys and array indices. */
export type Path = readonly (string | number)[];

/** A 1-based line and column (columns count Unicode code points). */
export interface Position {
  line: number;
  col: number;
}

/** The map key of a path. */
export function pathKey(path: Path): string {
  return JSON.stringify(path);
}

/**
 * Positions by key path. A position written explicitly (a `[table]` header, a
 * key that is assigned) replaces one implied by a longer key or header
 * (`[a.b]` implies `a`); otherwise the first position wins.
 */
export class PositionMap {
  #map = new Map<string, { pos: Position; explicit: boolean }>();
  /**
   * Array elements and array-of-tables entries, recorded in order, by the
   * array's key: a map entry per element is too slow for a million elements.
   */
  #elements = new Map<string, Position[]>();

  /** Records `path` at `pos`. */
  set(path: Path, pos: Position, explicit = true): void {
    const last = path[path.length - 1];
    if (typeof last === "number") {
      this.elements(path.slice(0, -1))(last, pos);
      return;
    }
    const key = pathKey(path);
    const old = this.#map.get(key);
    if (!old || (explicit && !old.explicit)) this.#map.set(key, { pos, explicit });
  }

  /**
   * Records the elements of the array at `path`, which come in order: cheaper
   * than {@linkcode set} per element. Positions of elements are always explicit;
   * the first one recorded wins.
   */
  elements(path: Path): (index: number, pos: Position) => void {
    const key = pathKey(path);
    const list = this.#elements.get(key) ?? [];
    this.#elements.set(key, list);
    return (index, pos) => {
      if (index === list.length) list.push(pos);
      else if (index > list.length) {
        // Out of order: kept like any other path.
        const at = pathKey([...path, index]);
        if (!this.#map.has(at)) this.#map.set(at, { pos, explicit: true });
      }
    };
  }

  /** The position of exactly `path`. */
  get(path: Path): Position | undefined {
    const last = path[path.length - 1];
    if (typeof last === "number") {
      const listed = this.#elements.get(pathKey(path.slice(0, -1)))?.[last];
      if (listed) return listed;
    }
    return this.#map.get(pathKey(path))?.pos;
  }

  /** The position of `path` or of its nearest recorded ancestor; the root is 1:1. */
  nearest(path: Path): Position {
    for (let n = path.length; n > 0; n--) {
      const pos = this.get(path.slice(0, n));
      if (pos) return pos;
    }
    return { line: 1, col: 1 };
  }

  /** Number of recorded paths. */
  get size(): number {
    let n = this.#map.size;
    for (const list of this.#elements.values()) n += list.length;
    return n;
  }
}

/**
 * Documents nested deeper than this many keys and indices are rejected
 * (`layer.ts`), so the scanner records no path longer than `MAX_DEPTH + 1`:
 * enough to locate the first level too many, and no more work for a
 * pathological `a.a.a...` key of a million parts.
 */
export const MAX_DEPTH = 64;
const MAX_RECORDED = MAX_DEPTH + 1;

/** Number of code points in a string (a surrogate pair counts once). */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const BARE_KEY_END = /[\s.=\]\[#"',{}]/;
const VALUE_END = /[\s,\]}#]/;
const ESCAPES: Record<string, string> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  e: "\x1b",
  '"': '"',
  "\\": "\\",
};

interface KeyPart {
  name: string;
  at: number;
}

/**
 * Scans a TOML document and returns the position of every key path.
 *
 * @example Positions of a table and an element
 * ```ts
 * const map = scanPositions("[server]\nports = [80, 443]\n");
 * map.get(["server"]); // { line: 1, col: 2 }
 * map.get(["server", "ports", 1]); // { line: 2, col: 14 }
 * ```
 */
export function scanPositions(text: string): PositionMap {
  return new Scanner(text).run();
}

class Scanner {
  readonly s: string;
  i = 0;
  readonly map = new PositionMap();
  /** Entries so far of each array of tables, by resolved path. */
  readonly tableArrays = new Map<string, number>();
  readonly lineStarts: number[] = [0];
  /** The last position computed; positions are asked for mostly in text order. */
  last = { index: 0, line: 0, col: 1 };

  constructor(text: string) {
    this.s = text;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
      this.lineStarts.push(i + 1);
    }
  }

  run(): PositionMap {
    let table: (string | number)[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.i >= this.s.length) return this.map;
      if (this.s[this.i] === "[") table = this.header();
      else this.keyValue(table);
    }
  }

  pos(index: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    // Count on from the last position when it is on this line and not past `index`:
    // linear, not quadratic, in the length of a one-line array of a million items.
    const resume = this.last.line === lo && this.last.index <= index;
    const start = resume ? this.last.index : this.lineStarts[lo];
    let col = resume ? this.last.col : 1;
    for (let i = start; i < index; i++) {
      // The second half of a surrogate pair belongs to the code point before it.
      const low = (this.s.charCodeAt(i) & 0xfc00) === 0xdc00;
      if (!low || i === start || (this.s.charCodeAt(i - 1) & 0xfc00) !== 0xd800) col++;
    }
    this.last = { index, line: lo, col };
    return { line: lo + 1, col };
  }

  record(path: Path, at: number, explicit = true): void {
    if (path.length <= MAX_RECORDED) this.map.set(path, this.pos(at), explicit);
  }

  /** Spaces and tabs. */
  skipSpaces(): void {
    while (this.s[this.i] === " " || this.s[this.i] === "\t") this.i++;
  }

  /** Whitespace, newlines and comments. */
  skipTrivia(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.i++;
      else if (c === "#") {
        const nl = this.s.indexOf("\n", this.i);
        this.i = nl === -1 ? this.s.length : nl;
      } else return;
    }
  }

  /** `[a.b]` or `[[a.b]]`; returns the path of the table that follows. */
  header(): (string | number)[] {
    const isArray = this.s[this.i + 1] === "[";
    this.i += isArray ? 2 : 1;
    const keys = this.key();
    this.skipSpaces();
    this.i += isArray ? 2 : 1;
    const path: (string | number)[] = [];
    keys.forEach((k, n) => {
      if (path.length >= MAX_RECORDED) return; // deeper paths are not recorded
      path.push(k.name);
      const last = n === keys.length - 1;
      this.record(path, k.at, last && !isArray);
      const count = this.tableArrays.get(pathKey(path));
      if (last && isArray) {
        this.tableArrays.set(pathKey(path), (count ?? 0) + 1);
        path.push(count ?? 0);
        this.record(path, k.at);
      } else if (!last && count !== undefined) {
        path.push(count - 1);
      }
    });
    return path;
  }

  /** `a.b = value` inside the table at `table`. */
  keyValue(table: Path): void {
    const keys = this.key();
    const path = [...table];
    keys.forEach((k, n) => {
      if (path.length > MAX_RECORDED) return; // deeper paths are not recorded
      path.push(k.name);
      this.record(path, k.at, n === keys.length - 1);
    });
    this.skipSpaces();
    this.i++; // "="
    this.skipSpaces();
    this.value(path);
  }

  /** A possibly dotted key. */
  key(): KeyPart[] {
    const parts: KeyPart[] = [];
    for (;;) {
      this.skipSpaces();
      const at = this.i;
      const c = this.s[this.i];
      let name: string;
      if (c === '"') name = this.basicString();
      else if (c === "'") name = this.literalString();
      else {
        while (this.i < this.s.length && !BARE_KEY_END.test(this.s[this.i])) this.i++;
        name = this.s.slice(at, this.i);
      }
      parts.push({ name, at });
      this.skipSpaces();
      if (this.s[this.i] !== ".") return parts;
      this.i++;
    }
  }

  /** A one-line basic string; returns its decoded value. */
  basicString(): string {
    let out = "";
    this.i++;
    for (;;) {
      const c = this.s[this.i++];
      if (c === '"' || c === undefined) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const hex = e === "u" ? 4 : e === "U" ? 8 : e === "x" ? 2 : 0;
      if (hex) {
        out += String.fromCodePoint(parseInt(this.s.slice(this.i, this.i + hex), 16));
        this.i += hex;
      } else {
        out += ESCAPES[e] ?? e;
      }
    }
  }

  /** A one-line literal string; returns its value. */
  literalString(): string {
    const end = this.s.indexOf("'", this.i + 1);
    const value = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return value;
  }

  /** Skips a multi-line string opened by `quote` three times. */
  multilineString(quote: string): void {
    const close = quote.repeat(3);
    this.i += 3;
    for (;;) {
      if (this.i >= this.s.length) return;
      if (quote === '"' && this.s[this.i] === "\\") this.i += 2;
      else if (this.s.startsWith(close, this.i)) {
        this.i += 3;
        // Up to two quotes right before the delimiter belong to the string.
        for (let extra = 0; extra < 2 && this.s[this.i] === quote; extra++) this.i++;
        return;
      } else this.i++;
    }
  }

  /** Any value at `path`. */
  value(path: Path): void {
    const c = this.s[this.i];
    if (c === "[") this.array(path);
    else if (c === "{") this.inlineTable(path);
    else this.leaf();
  }

  /** A string or a scalar. */
  leaf(): void {
    const c = this.s[this.i];
    if (c === '"' || c === "'") {
      if (this.s.startsWith(c.repeat(3), this.i)) this.multilineString(c);
      else if (c === '"') this.basicString();
      else this.literalString();
    } else this.scalar();
  }

  array(path: Path): void {
    this.i++;
    const record = path.length < MAX_RECORDED ? this.map.elements(path) : undefined;
    for (let n = 0;; n++) {
      this.skipTrivia();
      if (this.s[this.i] === "]" || this.i >= this.s.length) break;
      record?.(n, this.pos(this.i));
      // Only a nested array or table needs the element's path.
      if (this.s[this.i] === "[" || this.s[this.i] === "{") this.value([...path, n]);
      else this.leaf();
      this.skipTrivia();
      if (this.s[this.i] === ",") this.i++;
    }
    this.i++;
  }

  inlineTable(path: Path): void {
    this.i++;
    for (;;) {
      this.skipTrivia();
      if (this.s[this.i] === "}" || this.i >= this.s.length) break;
      this.keyValue(path);
      this.skipTrivia();
      if (this.s[this.i] === ",") this.i++;
    }
    this.i++;
  }

  /** Numbers, booleans, dates and times (a date and a time may be separated by one space). */
  scalar(): void {
    const start = this.i;
    while (this.i < this.s.length && !VALUE_END.test(this.s[this.i])) this.i++;
    if (
      /^\d{4}-\d{2}-\d{2}$/.test(this.s.slice(start, this.i)) && this.s[this.i] === " " &&
      /\d/.test(this.s[this.i + 1] ?? "")
    ) {
      this.i++;
      while (this.i < this.s.length && !VALUE_END.test(this.s[this.i])) this.i++;
    }
  }
}
