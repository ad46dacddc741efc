/**
 * PostgreSQL through postgres.js. Each pooled connection is a postgres.js
 * instance limited to one session, so that the source's pool (not the
 * library's) decides when a session is replaced. Sessions start with
 * `default_transaction_read_only = on`, and each query runs in its own
 * `BEGIN READ ONLY` transaction, which the query itself cannot turn off; `statement_timeout` enforces the
 * query timeout on the server, and a cancel request on the client.
 * @module
 */
import postgres from "postgres";
import {
  CONNECTION_ERROR_CODES,
  type DbConnection,
  type Driver,
  errorCode,
  type QueryOptions,
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

class PgConnection implements DbConnection {
  #sql: postgres.Sql;
  #alive = true;
  #timeout = -1;
  #readOnly: boolean;
  constructor(sql: postgres.Sql, readOnly: boolean) {
    this.#sql = sql;
    this.#readOnly = readOnly;
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
    opts: QueryOptions,
  ): Promise<QueryResult> {
    if (opts.timeoutMs !== this.#timeout) return this.#setTimeoutThenQuery(text, params, opts);
    let q: postgres.PendingValuesQuery<unknown[][]> | undefined;
    const rows: unknown[][] = [];
    let truncated = false as boolean;
    const CLOSE = this.#sql.CLOSE;
    // A cursor fetches at most maxRows + 1 rows per round trip and stops at the cap,
    // so a huge result is never read whole.
    const run = async (sql: postgres.Sql | postgres.TransactionSql) => {
      q = sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })
        .values() as unknown as postgres.PendingValuesQuery<unknown[][]>;
      const done = await q.cursor(opts.maxRows + 1, (batch: unknown[][]) => {
        for (const row of batch) {
          if (rows.length === opts.maxRows) {
            truncated = true;
            return CLOSE;
          }
          rows.push(row);
        }
      });
      return (done as unknown as { columns?: { name: string }[] }).columns;
    };
    // Each query runs in its own READ ONLY transaction: a query cannot switch that off
    // (set_config on transaction_read_only fails once the transaction has run a query),
    // whereas the session default could be changed by an earlier query.
    const p = this.#readOnly ? this.#sql.begin("read only", (tx) => run(tx)) : run(this.#sql);
    return withSignal(
      p as Promise<{ name: string }[] | undefined>,
      opts.signal,
      () => {
        if (q) cancel(q);
      },
      (cols) => {
        const columns: string[] = [];
        if (cols) { for (let i = 0; i < cols.length; i++) columns.push(cols[i].name); }
        return { columns, rows, truncated };
      },
    );
  }
  async #setTimeoutThenQuery(
    text: string,
    params: unknown[],
    opts: QueryOptions,
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
    conn = new PgConnection(sql, target.readOnly);
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
