/**
 * SQL Server through mssql (tedious). Each pooled connection is an mssql
 * pool of one session. Parameters are sent as RPC parameters
 * (`sp_executesql`), named `@p1`, `@p2`, ... SQL Server has no read-only
 * session setting: the source refuses write statements before sending them,
 * and a login with only `db_datareader` is the real guard. A query past its
 * timeout is cancelled with a TDS attention.
 * @module
 */
import mssql from "mssql";
import {
  CONNECTION_ERROR_CODES,
  type ConnectionTarget,
  type DbConnection,
  type Driver,
  errorCode,
  type QueryOptions,
  type QueryResult,
  withSignal,
} from "../driver.ts";
import { adoPairs } from "../connection_string.ts";

const TRUE = /^(true|yes|1|on)$/i;

// mssql ships no types; these are the few parts used here.
/** The mssql config object. */
export interface MssqlConfig {
  server: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  pool: { max: number; min: number; idleTimeoutMillis: number };
  connectionTimeout: number;
  requestTimeout: number;
  validateConnection: boolean;
  options: Record<string, unknown>;
}
interface MssqlRequest {
  arrayRowMode: boolean;
  input(name: string, value: unknown): void;
  query(sql: string): Promise<{ recordset?: unknown[]; columns?: { name: string }[][] }>;
  cancel(): void;
}
interface MssqlPool {
  readonly connected: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  request(): MssqlRequest;
  on(event: "error", fn: (err: unknown) => void): void;
}
const { ConnectionPool } = mssql as unknown as {
  ConnectionPool: new (config: MssqlConfig) => MssqlPool;
};

/** The mssql config of a `sqlserver://` URL or an ADO-style `Server=...;` string. */
export function mssqlConfig(target: ConnectionTarget): MssqlConfig {
  let server = "", port: number | undefined, user: string | undefined;
  let password: string | undefined, database: string | undefined;
  let opts = new Map<string, string>();
  if (/^\s*server\s*=/i.test(target.raw)) {
    opts = adoPairs(target.raw);
    const s = (opts.get("server") ?? "").replace(/^tcp:/i, "");
    const m = /^(.*?)(?:[,:](\d+))?$/.exec(s)!;
    server = m[1];
    port = m[2] ? Number(m[2]) : undefined;
    user = opts.get("user id") ?? opts.get("uid") ?? opts.get("user");
    password = opts.get("password") ?? opts.get("pwd");
    database = opts.get("database") ?? opts.get("initial catalog");
  } else {
    const u = new URL(target.raw);
    server = u.hostname;
    port = u.port ? Number(u.port) : undefined;
    user = u.username ? decodeURIComponent(u.username) : undefined;
    password = u.password ? decodeURIComponent(u.password) : undefined;
    database = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : undefined;
    for (const [k, v] of u.searchParams) opts.set(k.toLowerCase(), v);
  }
  const encrypt = opts.get("encrypt");
  const trust = opts.get("trustservercertificate") ?? opts.get("trust server certificate");
  return {
    server,
    port,
    user,
    password,
    database,
    pool: { max: 1, min: 0, idleTimeoutMillis: 2_147_483_647 },
    connectionTimeout: 30_000,
    // The source's pool tracks broken sessions; a "SELECT 1" before each query would double the work.
    validateConnection: false,
    // The client-side deadline comes from the source; this only backs it up.
    requestTimeout: 0,
    options: {
      encrypt: encrypt === undefined ? true : TRUE.test(encrypt),
      trustServerCertificate: trust !== undefined && TRUE.test(trust),
      appName: "sextant",
      ...(target.readOnly && { readOnlyIntent: true }),
    },
  };
}

class MssqlConnection implements DbConnection {
  #pool: MssqlPool;
  #alive = true;
  constructor(pool: MssqlPool) {
    this.#pool = pool;
    pool.on("error", () => {
      this.#alive = false;
    });
  }
  get alive(): boolean {
    return this.#alive && this.#pool.connected;
  }
  async query(
    sql: string,
    params: unknown[],
    opts: QueryOptions,
  ): Promise<QueryResult> {
    const req = this.#pool.request();
    req.arrayRowMode = true;
    params.forEach((p, i) => req.input(`p${i + 1}`, p));
    const r = await withSignal(req.query(sql), opts.signal, () => req.cancel());
    const rows = (r.recordset ?? []) as unknown[][];
    // tedious has read the whole result by now: the cap keeps the mapping bounded.
    const truncated = rows.length > opts.maxRows;
    return {
      columns: (r.columns?.[0] ?? []).map((c) => c.name),
      rows: truncated ? rows.slice(0, opts.maxRows) : rows,
      truncated,
    };
  }
  async close(): Promise<void> {
    this.#alive = false;
    await this.#pool.close().catch(() => {});
  }
}

/** The SQL Server driver. */
export const driver: Driver = {
  kind: "mssql",
  async connect(target, signal) {
    const pool = new ConnectionPool(mssqlConfig(target));
    pool.on("error", () => {});
    try {
      await withSignal(pool.connect(), signal, () => pool.close().catch(() => {}));
    } catch (err) {
      await pool.close().catch(() => {});
      throw err;
    }
    return new MssqlConnection(pool);
  },
  isConnectionError(err) {
    const code = errorCode(err) ?? errorCode((err as { originalError?: unknown })?.originalError);
    return code !== undefined && CONNECTION_ERROR_CODES.has(code);
  },
};
