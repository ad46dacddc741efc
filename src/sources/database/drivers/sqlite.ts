/**
 * SQLite through the runtime's built-in `node:sqlite`. Files open read-only
 * by default (a write fails in SQLite itself). Integers are read as bigints so
 * that the mapping converts them exactly. Queries run synchronously, so the
 * client cannot cut one short; `busy_timeout` bounds the wait for a lock.
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { DbConnection, Driver, QueryOptions, QueryResult } from "../driver.ts";

/** A timestamp as SQLite's own functions write it (`datetime('now')`), in UTC. */
function sqliteTime(d: Date): string {
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
}

function bindable(v: unknown): SQLInputValue {
  if (v instanceof Date) return sqliteTime(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return v as SQLInputValue;
}

/** Statements that can stand as a subquery: a leading SELECT, WITH or VALUES, after comments. */
const CAPPABLE = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:SELECT|WITH|VALUES)\b/i;

class SqliteConnection implements DbConnection {
  #db: DatabaseSync;
  #alive = true;
  #busy = -1;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  get alive(): boolean {
    return this.#alive;
  }
  query(
    sql: string,
    params: unknown[],
    opts: QueryOptions,
  ): Promise<QueryResult> {
    try {
      opts.signal.throwIfAborted();
      if (opts.timeoutMs !== this.#busy) {
        this.#db.exec(`PRAGMA busy_timeout = ${Math.max(1, Math.round(opts.timeoutMs))}`);
        this.#busy = opts.timeoutMs;
      }
      // A query (SELECT, WITH, VALUES) is wrapped in a LIMIT so that SQLite stops at the cap;
      // stmt.iterate() cannot be used: on Deno it ends silently on an error mid-result.
      const limited = CAPPABLE.test(sql);
      const stmt = this.#db.prepare(
        limited ? `SELECT * FROM (\n${sql.replace(/;\s*$/, "")}\n) LIMIT ${opts.maxRows + 1}` : sql,
      );
      stmt.setReadBigInts(true);
      stmt.setReturnArrays(true);
      const columns = stmt.columns().map((c) => c.name);
      const rows = stmt.all(...params.map(bindable)) as unknown as unknown[][];
      const truncated = rows.length > opts.maxRows;
      if (truncated) rows.length = opts.maxRows;
      return Promise.resolve({ columns, rows, truncated });
    } catch (err) {
      return Promise.reject(err);
    }
  }
  close(): Promise<void> {
    if (this.#alive) {
      this.#alive = false;
      try {
        this.#db.close();
      } catch { /* already closed */ }
    }
    return Promise.resolve();
  }
}

/** The SQLite driver. */
export const driver: Driver = {
  kind: "sqlite",
  connect(target, signal) {
    try {
      signal.throwIfAborted();
      const db = new DatabaseSync(target.path ?? ":memory:", { readOnly: target.readOnly });
      return Promise.resolve(new SqliteConnection(db));
    } catch (err) {
      return Promise.reject(err);
    }
  },
  isConnectionError: () => false,
};
