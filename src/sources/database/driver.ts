/**
 * The one interface every database driver presents to the database source:
 * open a connection, run a read query with bound parameters under a deadline,
 * close it. Each driver lives in `drivers/<db>.ts` and is loaded with a
 * dynamic `import()` so that unused drivers cost nothing.
 * @module
 */

/** The databases Sextant speaks to. */
export type DatabaseKind = "postgres" | "mysql" | "sqlite" | "mssql";

/** What a connection string says, parsed once by `connection_string.ts`. */
export interface ConnectionTarget {
  kind: DatabaseKind;
  /** The connection string as configured (holds the password; never print it). */
  raw: string;
  /** `kind://host:port/database` or the SQLite path: safe to print. */
  endpoint: string;
  /** Open sessions read-only (default true). */
  readOnly: boolean;
  /** SQLite: the file, resolved against the config file's directory. */
  path?: string;
}

/** One value as the driver returns it; the mapping turns it into a number. */
export type DbValue = unknown;

/** Rows of one query, with the column names in select order. */
export interface QueryResult {
  columns: string[];
  rows: DbValue[][];
  /** The result had more than `maxRows` rows; only the first `maxRows` were read. */
  truncated?: boolean;
}

/** Options of one query. */
export interface QueryOptions {
  /** Milliseconds; enforced server-side where possible and always by the client. */
  timeoutMs: number;
  /** Aborts the query (the source stopped, or the run timed out). */
  signal: AbortSignal;
  /** Rows read at most: the driver stops fetching past it and sets `truncated`. */
  maxRows: number;
}

/** One open session. */
export interface DbConnection {
  /** Runs `sql` (already in the driver's placeholder syntax) with `params` bound by the driver. */
  query(sql: string, params: unknown[], opts: QueryOptions): Promise<QueryResult>;
  /** False once the driver saw the session break (socket closed, fatal error). */
  readonly alive: boolean;
  /** Closes the session; safe to call twice; never rejects. */
  close(): Promise<void>;
}

/** A loaded driver. */
export interface Driver {
  readonly kind: DatabaseKind;
  /** Opens one session (read-only when the target says so), honouring `signal`. */
  connect(target: ConnectionTarget, signal: AbortSignal): Promise<DbConnection>;
  /** Whether an error means the session is unusable (reset, closed, admin shutdown). */
  isConnectionError(err: unknown): boolean;
}

/** Loads the driver of a database kind; only that driver's library is imported. */
export async function loadDriver(kind: DatabaseKind): Promise<Driver> {
  switch (kind) {
    case "postgres":
      return (await import("./drivers/postgres.ts")).driver;
    case "mysql":
      return (await import("./drivers/mysql.ts")).driver;
    case "sqlite":
      return (await import("./drivers/sqlite.ts")).driver;
    case "mssql":
      return (await import("./drivers/mssql.ts")).driver;
  }
}

/** Network error codes that mean the session is gone. */
export const CONNECTION_ERROR_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTCONN",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "PROTOCOL_CONNECTION_LOST",
  "ESOCKET",
  "ECONNCLOSED",
  "ECONNLOST",
]);

/** The `code` of an error, when it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Rejects with `signal.reason` once it aborts; settles with `p` otherwise,
 * mapped through `map` when given (in the same promise: no extra `.then`).
 */
export function withSignal<T, R = T>(
  p: Promise<T>,
  signal: AbortSignal,
  onAbort?: () => void,
  map?: (value: T) => R,
): Promise<R> {
  if (signal.aborted) {
    onAbort?.();
    p.catch(() => {});
    return Promise.reject(signal.reason);
  }
  // One promise and one listener per query: no `.finally`, which would cost another promise.
  return new Promise<R>((resolve, reject) => {
    const abort = () => {
      onAbort?.();
      p.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", abort);
        if (!map) return resolve(v as unknown as R);
        try {
          resolve(map(v));
        } catch (err) {
          reject(err);
        }
      },
      (err) => {
        signal.removeEventListener("abort", abort);
        reject(err);
      },
    );
  });
}
