/**
 * Reading SQL text without parsing it: `$1`-style placeholders are rewritten
 * into each driver's own syntax, and statements that would write are refused,
 * both while leaving string literals, quoted identifiers and comments alone.
 * @module
 */
import type { DatabaseKind } from "./driver.ts";

/** A stretch of SQL text: code, or something to leave alone (literal, identifier, comment). */
interface Piece {
  code: boolean;
  text: string;
  /** A MySQL/MariaDB executable comment (`/*! ... *\/`, `/*M! ... *\/`): the server runs its content. */
  executable?: boolean;
}

/** Splits SQL into code and non-code pieces (strings, quoted names, comments). */
function pieces(sql: string, kind: DatabaseKind): Piece[] {
  const out: Piece[] = [];
  let code = "";
  let i = 0;
  const flush = () => {
    if (code) out.push({ code: true, text: code });
    code = "";
  };
  const skipTo = (start: number, end: number, executable = false) => {
    flush();
    out.push({ code: false, text: sql.slice(start, end), ...(executable && { executable }) });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const nl = sql.indexOf("\n", i);
      skipTo(i, nl < 0 ? sql.length : nl);
    } else if (c === "#" && kind === "mysql") {
      const nl = sql.indexOf("\n", i);
      skipTo(i, nl < 0 ? sql.length : nl);
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      const executable = kind === "mysql" && /^\/\*M?!/i.test(sql.slice(i, i + 4));
      skipTo(i, end < 0 ? sql.length : end + 2, executable);
    } else if (c === "'" || c === '"' || (c === "`" && kind === "mysql")) {
      // Quotes are escaped by doubling everywhere, and by backslash in MySQL strings.
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === "\\" && kind === "mysql") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      skipTo(i, Math.min(j + 1, sql.length));
    } else if (c === "[" && kind === "mssql") {
      const end = sql.indexOf("]", i);
      skipTo(i, end < 0 ? sql.length : end + 1);
    } else if (
      c === "$" && kind === "postgres" && /[A-Za-z_$]/.test(next ?? "") &&
      !/\w/.test(sql[i - 1] ?? "")
    ) {
      // Dollar quoting: $tag$ ... $tag$ (or $$ ... $$).
      const m = /^\$([A-Za-z_]\w*)?\$/.exec(sql.slice(i));
      if (!m) {
        code += c;
        i++;
        continue;
      }
      const end = sql.indexOf(m[0], i + m[0].length);
      skipTo(i, end < 0 ? sql.length : end + m[0].length);
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return out;
}

/** The result of translating placeholders. */
export interface Translated {
  sql: string;
  /** Index into the configured params for each bound value, in the order the driver binds them. */
  order: number[];
}

const DOLLAR = /(?<![\w$])\$(\d+)(?!\w)/g;

/**
 * Rewrites `$1`-style placeholders into the driver's syntax: `?` (MySQL, with
 * the params reordered to match), `?1` (SQLite), `@p1` (SQL Server); PostgreSQL
 * keeps them. SQL using the driver's native syntax instead is left as it is.
 * Throws when a `$N` points past the configured params.
 *
 * @example Translating for MySQL
 * ```ts
 * translatePlaceholders("SELECT '$1', $2, $1", "mysql", 2);
 * // { sql: "SELECT '$1', ?, ?", order: [1, 0] }
 * ```
 */
export function translatePlaceholders(sql: string, kind: DatabaseKind, count: number): Translated {
  const identity = { sql, order: [...Array(count).keys()] };
  if (kind === "postgres") {
    checkRange(sql, kind, count);
    return identity;
  }
  const order: number[] = [];
  let found = false;
  const text = pieces(sql, kind).map((p) => {
    if (!p.code) return p.text;
    return p.text.replace(DOLLAR, (_m, d: string) => {
      const n = Number(d);
      if (n < 1 || n > count) {
        throw new RangeError(
          `placeholder $${d} has no value: the query has ${count} param${count === 1 ? "" : "s"}`,
        );
      }
      found = true;
      if (kind === "mysql") {
        order.push(n - 1);
        return "?";
      }
      return kind === "sqlite" ? `?${n}` : `@p${n}`;
    });
  }).join("");
  if (!found) return identity;
  return { sql: text, order: kind === "mysql" ? order : identity.order };
}

function checkRange(sql: string, kind: DatabaseKind, count: number): void {
  for (const p of pieces(sql, kind)) {
    if (!p.code) continue;
    for (const m of p.text.matchAll(DOLLAR)) {
      const n = Number(m[1]);
      if (n < 1 || n > count) {
        throw new RangeError(
          `placeholder $${m[1]} has no value: the query has ${count} param${
            count === 1 ? "" : "s"
          }`,
        );
      }
    }
  }
}

/** Statements a metrics query may start with. */
const READ_KEYWORDS = new Set([
  "SELECT",
  "WITH",
  "VALUES",
  "TABLE",
  "SHOW",
  "EXPLAIN",
  "DESCRIBE",
  "DESC",
  "PRAGMA",
]);

/**
 * Keywords that write wherever they appear in code: `SELECT ... INTO t`,
 * `EXPLAIN ANALYZE`, a data-modifying statement after a `WITH` (its own or
 * inside a CTE), `SELECT ... FOR UPDATE`.
 */
const WRITE_ANYWHERE =
  /(?<![\w$@#.])(INTO|ANALY[SZ]E|INSERT|UPDATE|DELETE|MERGE|UPSERT|TRUNCATE|DROP|ALTER|CREATE|GRANT|REVOKE)(?![\w$])/i;

/**
 * Why a statement is refused as a write, or `undefined` when it reads. This
 * is a first line of defence; the read-only session is the real guard where
 * the database has one.
 *
 * @example Checking statements
 * ```ts
 * writeRefusal("SELECT count(*) FROM users", "postgres"); // undefined
 * writeRefusal("DELETE FROM users", "postgres"); // 'a "DELETE" statement writes; ...'
 * ```
 */
export function writeRefusal(sql: string, kind: DatabaseKind): string | undefined {
  const all = pieces(sql, kind);
  if (all.some((p) => p.executable)) {
    return "the query holds a MySQL executable comment (/*! ... */ or /*M! ... */), " +
      "whose content the server runs as code";
  }
  const code = all.filter((p) => p.code).map((p) => p.text).join(" ");
  const statements = code.split(";").map((s) => s.trim()).filter((s) => s !== "");
  if (statements.length === 0) return "the query is empty";
  if (statements.length > 1) {
    return "the query holds several statements; give each its own query";
  }
  const first = /^[\s(]*([A-Za-z]+)/.exec(statements[0])?.[1]?.toUpperCase() ?? "";
  if (!READ_KEYWORDS.has(first)) {
    return `a ${JSON.stringify(first || statements[0].slice(0, 20))} statement is not a read; ` +
      "only SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN, DESCRIBE and PRAGMA run";
  }
  const w = WRITE_ANYWHERE.exec(statements[0]);
  if (w) return `the query contains ${JSON.stringify(w[1].toUpperCase())}, which writes`;
  if (first === "PRAGMA" && /=/.test(statements[0])) return "a PRAGMA that sets a value writes";
  return undefined;
}
