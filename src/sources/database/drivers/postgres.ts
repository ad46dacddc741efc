/**
 * PostgreSQL through postgres.js. Each pooled connection is a postgres.js
 * instance limited to one session, so that the source's pool (not the
 * library's) decides when a session is replaced. Sessions start with
 * `default_transaction_read_only = on`, so each query's transaction is read-only
 * from its start, which the query itself cannot turn off; a session whose default a query
 * turned off (the server reports the change) is dropped before it runs another query. On
 * servers that do not report it (before 14) each query runs in `BEGIN READ ONLY` ... `COMMIT`,
 * pipelined. Queries are capped by a `LIMIT` on the server, or a cursor where they cannot be
 * wrapped. `statement_timeout` enforces the query timeout on the server, and a cancel request
 * on the client.
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
import { capRows } from "../sql_text.ts";

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

/** The session's default_transaction_read_only as the server last reported it (PostgreSQL 14+). */
function reported(sql: postgres.Sql): string | undefined {
  return (sql.parameters as unknown as Record<string, string | undefined>)
    .default_transaction_read_only;
}

/** A driver-side refusal, with a code the source treats as a lost session. */
class PgDriverError extends Error {
  code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

class PgConnection implements DbConnection {
  #sql: postgres.Sql;
  #alive = true;
  #timeout = -1;
  #readOnly: boolean;
  /**
   * The server reports default_transaction_read_only (PostgreSQL 14 and later) and it is
   * on: each query's own transaction is then read-only from its start, and the session is
   * dropped as soon as a query turns the default off. Otherwise each query runs in BEGIN
   * READ ONLY ... COMMIT.
   */
  #watched = false;
  #capped = new Map<string, { limit: number; sql: string | null }>();
  constructor(sql: postgres.Sql, readOnly: boolean) {
    this.#sql = sql;
    this.#readOnly = readOnly;
  }
  get alive(): boolean {
    return this.#alive;
  }
  /** Called once connected: watch the reported read-only default where the server reports it. */
  watch(): void {
    this.#watched = this.#readOnly && reported(this.#sql) === "on";
  }
  /**
   * Runs each query in a pipelined `BEGIN READ ONLY` ... `COMMIT`, as on a server that does
   * not report default_transaction_read_only; lets tests cover that path on a newer server.
   */
  useTransactions(): void {
    this.#watched = false;
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
    const capped = this.#cappedText(text, opts.maxRows + 1);
    if (this.#watched && reported(this.#sql) !== "on") {
      // Never reached while the check after each query holds; kept as the last guard.
      this.markDead();
      return Promise.reject(
        new PgDriverError("the session is no longer read-only; it is replaced", "CONNECTION_ENDED"),
      );
    }
    if (capped === null) return this.#cursorQuery(text, params, opts);
    // The server stops at the cap (LIMIT max_rows + 1), so no cursor round trip is needed.
    const sql = this.#sql;
    const q = sql.unsafe(capped, params as postgres.ParameterOrJSON<never>[], { prepare: true })
      .values() as unknown as postgres.PendingValuesQuery<unknown[][]>;
    let p: Promise<unknown> = q;
    const wrapped = this.#readOnly && !this.#watched;
    if (wrapped) {
      // A server that does not report default_transaction_read_only (before PostgreSQL 14):
      // BEGIN READ ONLY, the query and COMMIT go out together on the one session
      // (postgres.js pipelines queries issued without awaiting), one round trip.
      const begin = sql.unsafe("BEGIN READ ONLY").execute();
      q.execute();
      const commit = sql.unsafe("COMMIT").execute();
      // Should BEGIN ever fail, the query has gone out all the same: its result is dropped
      // (Promise.all rejects) and the session is never used again.
      begin.catch(() => this.markDead());
      p = Promise.all([begin, q, commit]);
    }
    return withSignal(p, opts.signal, () => cancel(q), (r) => {
      this.#checkReadOnly();
      const result = (wrapped ? (r as unknown[])[1] : r) as unknown[][] & {
        columns?: { name: string }[];
      };
      const columns: string[] = [];
      const cols = result.columns;
      if (cols) { for (let i = 0; i < cols.length; i++) columns.push(cols[i].name); }
      const truncated = result.length > opts.maxRows;
      const rows = truncated ? result.slice(0, opts.maxRows) : result;
      return { columns, rows, truncated };
    });
  }
  /**
   * After a query: a session whose default_transaction_read_only was turned off (a query
   * can call set_config) is never used again. The server reports the change before the
   * query completes, so the check runs before any later query could be sent.
   */
  #checkReadOnly(): void {
    if (this.#watched && reported(this.#sql) !== "on") {
      this.markDead();
    }
  }
  /** The query wrapped in a LIMIT, or null when it cannot be (computed once per text). */
  #cappedText(text: string, limit: number): string | null {
    const hit = this.#capped.get(text);
    if (hit && hit.limit === limit) return hit.sql;
    const sql = capRows(text, "postgres", limit) ?? null;
    this.#capped.set(text, { limit, sql });
    return sql;
  }
  /**
   * Queries that cannot be wrapped in a LIMIT (SHOW, EXPLAIN, TABLE): a cursor fetches at
   * most maxRows + 1 rows per round trip and stops at the cap.
   */
  #cursorQuery(
    text: string,
    params: unknown[],
    opts: QueryOptions,
  ): Promise<QueryResult> {
    let q: postgres.PendingValuesQuery<unknown[][]> | undefined;
    const rows: unknown[][] = [];
    let truncated = false as boolean;
    const CLOSE = this.#sql.CLOSE;
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
    const p = this.#readOnly && !this.#watched
      ? this.#sql.begin("read only", (tx) => run(tx))
      : run(this.#sql);
    return withSignal(
      p as Promise<{ name: string }[] | undefined>,
      opts.signal,
      () => {
        if (q) cancel(q);
      },
      (cols) => {
        this.#checkReadOnly();
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
      conn.watch();
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
