/**
 * PostgreSQL through postgres.js. Each pooled connection is a postgres.js
 * instance limited to one session, so that the source's pool (not the
 * library's) decides when a session is replaced. Sessions start with
 * `default_transaction_read_only = on`; `statement_timeout` enforces the
 * query timeout on the server, and a cancel request on the client.
 * @module
 */
import postgres from "postgres";
import {
  CONNECTION_ERROR_CODES,
  type DbConnection,
  type Driver,
  errorCode,
  type QueryResult,
  withSignal,
} from "../driver.ts";

/** SQLSTATE classes that mean the session is gone: 08 (connection), 57P01-3 (shutdown). */
const FATAL_STATE = /^(08...|57P0[123])$/;

class PgConnection implements DbConnection {
  #sql: postgres.Sql;
  #alive = true;
  #timeout = -1;
  constructor(sql: postgres.Sql) {
    this.#sql = sql;
  }
  get alive(): boolean {
    return this.#alive;
  }
  markDead(): void {
    this.#alive = false;
  }
  async query(
    text: string,
    params: unknown[],
    opts: { timeoutMs: number; signal: AbortSignal },
  ): Promise<QueryResult> {
    if (opts.timeoutMs !== this.#timeout) {
      await withSignal(
        this.#sql.unsafe(`SET statement_timeout = ${Math.max(1, Math.round(opts.timeoutMs))}`),
        opts.signal,
      );
      this.#timeout = opts.timeoutMs;
    }
    const q = this.#sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
      prepare: true,
    }).values();
    const rows = await withSignal(q, opts.signal, () => {
      q.cancel();
    });
    return { columns: rows.columns?.map((c) => c.name) ?? [], rows: rows as unknown[][] };
  }
  async close(): Promise<void> {
    this.#alive = false;
    await this.#sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The PostgreSQL driver. */
export const driver: Driver = {
  kind: "postgres",
  async connect(target, signal) {
    let conn: PgConnection | undefined = undefined;
    const sql = postgres(target.raw, {
      max: 1,
      // The pool above decides about idle sessions and lifetimes.
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: 30,
      onnotice: () => {},
      onclose: () => conn?.markDead(),
      connection: {
        application_name: "sextant",
        ...(target.readOnly && { default_transaction_read_only: true }),
      },
    });
    conn = new PgConnection(sql);
    try {
      await withSignal(sql.unsafe("SELECT 1"), signal);
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  },
  isConnectionError(err) {
    const code = errorCode(err);
    return code !== undefined && (CONNECTION_ERROR_CODES.has(code) || FATAL_STATE.test(code));
  },
};
