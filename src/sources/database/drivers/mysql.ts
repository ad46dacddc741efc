/**
 * MySQL and MariaDB through mysql2. Sessions are `READ ONLY`, and each
 * query runs in its own `START TRANSACTION READ ONLY` transaction; the query
 * timeout is set on the server (`max_statement_time` on MariaDB,
 * `max_execution_time` on MySQL) and enforced on the client by destroying the
 * session. Parameters go through server-side prepared statements, so they are
 * never pasted into SQL. Big integers and decimals arrive as strings and are
 * converted exactly by the mapping.
 * @module
 */
import mysql from "mysql2";
import {
  CONNECTION_ERROR_CODES,
  type DbConnection,
  type Driver,
  errorCode,
  type QueryOptions,
  type QueryResult,
  withSignal,
} from "../driver.ts";

type Raw = mysql.Connection;

function call<T>(fn: (cb: (err: Error | null, ...rest: unknown[]) => void) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    fn((err, ...rest) => (err ? reject(err) : resolve(rest as T[])));
  });
}

class MysqlConnection implements DbConnection {
  #c: Raw;
  #alive = true;
  #mariadb: boolean;
  #timeout = -1;
  #readOnly: boolean;
  constructor(c: Raw, mariadb: boolean, readOnly: boolean) {
    this.#c = c;
    this.#mariadb = mariadb;
    this.#readOnly = readOnly;
    const dead = () => {
      this.#alive = false;
    };
    c.on("error", dead);
    c.on("end", dead);
  }
  get alive(): boolean {
    return this.#alive;
  }
  async query(
    sql: string,
    params: unknown[],
    opts: QueryOptions,
  ): Promise<QueryResult> {
    const kill = () => {
      this.#alive = false;
      this.#c.destroy();
    };
    if (opts.timeoutMs !== this.#timeout) {
      const set = this.#mariadb
        ? `SET SESSION max_statement_time = ${opts.timeoutMs / 1000}`
        : `SET SESSION max_execution_time = ${Math.max(1, Math.round(opts.timeoutMs))}`;
      await withSignal(call((cb) => this.#c.query(set, cb)), opts.signal, kill);
      this.#timeout = opts.timeoutMs;
    }
    // Each query runs in its own READ ONLY transaction: a stored function called from a
    // SELECT can switch the session default back to read-write, but not this.
    if (this.#readOnly) {
      await withSignal(
        call((cb) => this.#c.query("START TRANSACTION READ ONLY", cb)),
        opts.signal,
        kill,
      );
    }
    const options = { sql, rowsAsArray: true };
    const rows: unknown[][] = [];
    let columns: string[] | undefined;
    let truncated = false as boolean;
    try {
      // Rows arrive as events, so a huge result stops at the cap: the session is dropped
      // (MySQL cannot end a result set early otherwise) and the pool replaces it.
      await withSignal(
        new Promise<void>((resolve, reject) => {
          const cmd = params.length === 0
            ? this.#c.query(options)
            : this.#c.execute({ ...options, values: params as never });
          cmd.on("fields", (fields: { name: string }[]) => {
            columns = fields.map((f) => f.name);
          });
          cmd.on("result", (row: unknown) => {
            if (truncated || columns === undefined) return;
            if (rows.length === opts.maxRows) {
              truncated = true;
              kill();
              resolve();
            } else rows.push(row as unknown[]);
          });
          cmd.on("error", reject);
          cmd.on("end", () => resolve());
        }),
        opts.signal,
        kill,
      );
    } finally {
      if (this.#readOnly && this.#alive) {
        await withSignal(call((cb) => this.#c.query("COMMIT", cb)), opts.signal, kill);
      }
    }
    return { columns: columns ?? [], rows: columns ? rows : [], truncated };
  }
  close(): Promise<void> {
    if (!this.#alive) {
      this.#c.destroy();
      return Promise.resolve();
    }
    this.#alive = false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#c.destroy();
        resolve();
      }, 1000);
      this.#c.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** The MySQL/MariaDB driver. */
export const driver: Driver = {
  kind: "mysql",
  async connect(target, signal) {
    const uri = target.raw.replace(/^mariadb:/i, "mysql:");
    const c = mysql.createConnection({
      uri,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      timezone: "Z",
      connectTimeout: 30_000,
      multipleStatements: false,
    });
    // Until the connection object has our listeners, an error must not go unhandled.
    c.on("error", () => {});
    try {
      await withSignal(call((cb) => c.connect(cb)), signal, () => c.destroy());
      const [rows] = await withSignal(
        call<{ v: string }[]>((cb) => c.query("SELECT VERSION() AS v", cb)),
        signal,
        () => c.destroy(),
      );
      const mariadb = /mariadb/i.test(String(rows?.[0]?.v ?? ""));
      await withSignal(call((cb) => c.query("SET SESSION time_zone = '+00:00'", cb)), signal);
      if (target.readOnly) {
        await withSignal(
          call((cb) => c.query("SET SESSION TRANSACTION READ ONLY", cb)),
          signal,
          () => c.destroy(),
        );
      }
      return new MysqlConnection(c, mariadb, target.readOnly);
    } catch (err) {
      c.destroy();
      throw err;
    }
  },
  isConnectionError(err) {
    const code = errorCode(err);
    return (code !== undefined && CONNECTION_ERROR_CODES.has(code)) ||
      (err as { fatal?: boolean } | null)?.fatal === true;
  },
};
