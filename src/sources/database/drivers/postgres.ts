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

/**
 * Sends a cancel request for a running query. postgres.js's own
 * `query.cancel()` drops the promise of its cancel connection, so a cancel
 * that fails (the server or the link went down meanwhile) would be an
 * unhandled rejection that ends the process; here it is caught.
 */
function cancel(q: { cancel(): void }): void {
  const pending = q as unknown as { canceller?: ((q: unknown) => Promise<void>) | null };
  const canceller = pending.canceller;
  if (typeof canceller !== "function") return void q.cancel();
  pending.canceller = null;
  canceller(q).catch(() => {});
}

function toResult(rows: postgres.RowList<postgres.Row[]>): QueryResult {
  const cols = rows.columns;
  const columns: string[] = [];
  if (cols) { for (let i = 0; i < cols.length; i++) columns.push(cols[i].name); }
  return { columns, rows: rows as unknown as unknown[][] };
}

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
  query(
    text: string,
    params: unknown[],
    opts: { timeoutMs: number; signal: AbortSignal },
  ): Promise<QueryResult> {
    if (opts.timeoutMs !== this.#timeout) return this.#setTimeoutThenQuery(text, params, opts);
    // Not async: one promise per query, resolved with the result directly.
    const q = this.#sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
      prepare: true,
    }).values();
    return withSignal(q, opts.signal, () => cancel(q), toResult);
  }
  async #setTimeoutThenQuery(
    text: string,
    params: unknown[],
    opts: { timeoutMs: number; signal: AbortSignal },
  ): Promise<QueryResult> {
    await withSignal(
      this.#sql.unsafe(`SET statement_timeout = ${Math.max(1, Math.round(opts.timeoutMs))}`),
      opts.signal,
    );
    this.#timeout = opts.timeoutMs;
    return this.query(text, params, opts);
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
