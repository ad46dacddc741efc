/**
 * SQLite through the runtime's built-in `node:sqlite`. Files open read-only
 * by default (a write fails in SQLite itself). Integers are read as bigints so
 * that the mapping converts them exactly.
 *
 * `node:sqlite` runs a statement synchronously and offers no interrupt or
 * progress handler, so each connection lives in a Worker of its own: a
 * runaway query never blocks the collector (its scheduler, `/healthz`, its
 * other sources, its shutdown), and on timeout the connection's worker is
 * terminated and replaced. `busy_timeout` bounds the wait for a lock.
 * @module
 */
import type { DbConnection, Driver, QueryOptions, QueryResult } from "../driver.ts";

/** A timestamp as SQLite's own functions write it (`datetime('now')`), in UTC. */
function sqliteTime(d: Date): string {
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
}

function bindable(v: unknown): unknown {
  if (v instanceof Date) return sqliteTime(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}

/** Statements that can stand as a subquery: a leading SELECT, WITH or VALUES, after comments. */
const CAPPABLE = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:SELECT|WITH|VALUES)\b/i;

/**
 * The worker that owns one database handle. Plain JavaScript in a Blob URL:
 * nothing to ship beside the compiled binary.
 */
const WORKER_SOURCE = `
import { DatabaseSync } from "node:sqlite";
let db;
self.onmessage = (e) => {
  const m = e.data;
  try {
    if (m.op === "open") {
      db = new DatabaseSync(m.path, { readOnly: m.readOnly });
      self.postMessage({ id: m.id, ok: true });
    } else if (m.op === "query") {
      if (m.busy !== undefined) db.exec("PRAGMA busy_timeout = " + m.busy);
      const stmt = db.prepare(m.sql);
      stmt.setReadBigInts(true);
      stmt.setReturnArrays(true);
      const columns = stmt.columns().map((c) => c.name);
      const rows = stmt.all(...m.params);
      self.postMessage({ id: m.id, ok: true, columns, rows });
    } else if (m.op === "close") {
      try { db?.close(); } catch {}
      self.postMessage({ id: m.id, ok: true });
    }
  } catch (err) {
    self.postMessage({ id: m.id, ok: false, message: String(err?.message ?? err), code: err?.code });
  }
};
`;

let workerUrl: string | undefined;

interface Reply {
  id: number;
  ok: boolean;
  columns?: string[];
  rows?: unknown[][];
  message?: string;
  code?: string;
}

/** An error from the worker, with the driver's code kept. */
class SqliteError extends Error {
  code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.name = "SqliteError";
    if (code) this.code = code;
  }
}

class SqliteConnection implements DbConnection {
  #worker: Worker;
  #alive = true;
  #busy = -1;
  #next = 0;
  #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  constructor() {
    workerUrl ??= URL.createObjectURL(
      new Blob([WORKER_SOURCE], { type: "application/javascript" }),
    );
    this.#worker = new Worker(workerUrl, { type: "module", name: "sextant-sqlite" });
    this.#worker.onmessage = (e: MessageEvent<Reply>) => {
      const p = this.#pending.get(e.data.id);
      this.#pending.delete(e.data.id);
      p?.resolve(e.data);
    };
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#kill(new SqliteError(`the SQLite worker failed: ${e.message}`));
    };
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Sends one request; aborting the signal terminates the worker (the only way to stop SQLite). */
  async call(msg: Record<string, unknown>, signal: AbortSignal): Promise<Reply> {
    signal.throwIfAborted();
    if (!this.#alive) throw new SqliteError("the SQLite connection is closed", "ECONNCLOSED");
    const id = this.#next++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const abort = () => {
        this.#kill(signal.reason as Error);
      };
      this.#pending.set(id, {
        resolve: (r) => {
          signal.removeEventListener("abort", abort);
          resolve(r);
        },
        reject: (e) => {
          signal.removeEventListener("abort", abort);
          reject(e);
        },
      });
      signal.addEventListener("abort", abort, { once: true });
      this.#worker.postMessage({ ...msg, id });
    });
    if (!reply.ok) throw new SqliteError(reply.message ?? "SQLite failed", reply.code);
    return reply;
  }

  #kill(reason: Error): void {
    this.#alive = false;
    this.#worker.terminate();
    for (const p of this.#pending.values()) p.reject(reason);
    this.#pending.clear();
  }

  async query(sql: string, params: unknown[], opts: QueryOptions): Promise<QueryResult> {
    // A query (SELECT, WITH, VALUES) is wrapped in a LIMIT so that SQLite stops at the cap;
    // stmt.iterate() cannot be used: on Deno it ends silently on an error mid-result.
    const limited = CAPPABLE.test(sql);
    const busy = opts.timeoutMs !== this.#busy
      ? Math.max(1, Math.round(opts.timeoutMs))
      : undefined;
    const r = await this.call({
      op: "query",
      sql: limited
        ? `SELECT * FROM (\n${sql.replace(/;\s*$/, "")}\n) LIMIT ${opts.maxRows + 1}`
        : sql,
      params: params.map(bindable),
      busy,
    }, opts.signal);
    this.#busy = opts.timeoutMs;
    const rows = r.rows ?? [];
    const truncated = rows.length > opts.maxRows;
    if (truncated) rows.length = opts.maxRows;
    return { columns: r.columns ?? [], rows, truncated };
  }

  async close(): Promise<void> {
    if (!this.#alive) return;
    try {
      await this.call({ op: "close" }, AbortSignal.timeout(1000));
    } catch { /* terminated below */ }
    this.#kill(new SqliteError("the SQLite connection is closed", "ECONNCLOSED"));
  }
}

/** The SQLite driver. */
export const driver: Driver = {
  kind: "sqlite",
  async connect(target, signal) {
    signal.throwIfAborted();
    const conn = new SqliteConnection();
    try {
      await conn.call(
        { op: "open", path: target.path ?? ":memory:", readOnly: target.readOnly },
        signal,
      );
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  },
  isConnectionError: (err) => (err as { code?: unknown } | null)?.code === "ECONNCLOSED",
};
