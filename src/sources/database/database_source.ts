/**
 * A running `database` source: one pool per source shared by its queries,
 * which run concurrently up to a limit; each query's failure is its own
 * error. A connection that broke is replaced, and a query that failed on a
 * stale pooled session is retried once on a fresh one.
 * @module
 */
import {
  type Accumulator,
  CollectError,
  type CommonSourceConfig,
  ConnectError,
  errorMessage,
  type Logger,
  type Redactor,
  type Source,
  type SourceDeps,
  TimeoutError,
} from "../../core/mod.ts";
import type { DatabaseFields, QueryConfig } from "./database_kind.ts";
import { type ConnectionTarget, type Driver, loadDriver } from "./driver.ts";
import { parseTarget } from "./connection_string.ts";
import { type Mapped, type MappingRules, mapRows } from "./mapping.ts";
import { type Deadline, Deadlines } from "./deadlines.ts";
import { resolveParam } from "./params.ts";
import { Pool } from "./pool.ts";
import { type Translated, translatePlaceholders, writeRefusal } from "./sql_text.ts";

interface PreparedQuery {
  config: QueryConfig;
  rules: MappingRules;
  timeoutMs: number;
  /** Rows fetched at most: 1 for a single value, else max_rows. */
  maxRows: number;
  /** Why the query cannot run at all (a write, a placeholder without a value). */
  refused?: string;
  translated?: Translated;
  lastRunAt?: number;
  runs: number;
  failures: number;
  lastDurationMs?: number;
  lastRows?: number;
}

const NO_PARAMS: unknown[] = [];

/** A running `database` source. */
export class DatabaseSource implements Source {
  readonly type = "database";
  readonly name: string;
  #config: DatabaseFields & CommonSourceConfig;
  #deps: SourceDeps;
  #log: Logger;
  #redactor: Redactor;
  #target: ConnectionTarget;
  #driver?: Driver;
  #pool?: Pool;
  #queries: PreparedQuery[];
  #lossWarned = new Set<string>();
  #precisionLosses = 0;
  #stopped = false;
  /** Client-side deadlines of the queries in flight: one timer per source, not per query. */
  #deadlines: Deadlines;

  constructor(config: DatabaseFields & CommonSourceConfig, deps: SourceDeps) {
    this.name = config.name;
    this.#config = config;
    this.#deps = deps;
    this.#log = deps.logger;
    this.#redactor = deps.redactor;
    this.#deadlines = new Deadlines(deps.clock);
    deps.redactor.addFromConnectionString(config.connection_string);
    this.#target = parseTarget(config.connection_string, config.read_only, deps.baseDir);
    const kind = this.#target.kind;
    this.#queries = config.queries.map((q) => {
      const p: PreparedQuery = {
        config: q,
        timeoutMs: Math.min(q.timeout ?? config.timeout, config.timeout),
        // A single value reads the first row only.
        maxRows: q.label_columns.length === 0 && q.value_columns.length === 0 &&
            q.metric_column === undefined
          ? 1
          : q.max_rows ?? config.max_rows,
        runs: 0,
        failures: 0,
        rules: {
          name: q.name,
          otel_type: q.otel_type as MappingRules["otel_type"],
          unit: q.unit,
          description: q.description,
          label_columns: q.label_columns,
          value_columns: q.value_columns,
          metric_column: q.metric_column,
          static_attributes: q.static_attributes,
          on_null: q.on_null ?? config.on_null,
          max_series: q.max_series ?? config.max_series,
        },
      };
      p.refused = writeRefusal(q.sql, kind);
      if (!p.refused) {
        try {
          p.translated = translatePlaceholders(q.sql, kind, q.params.length);
        } catch (err) {
          p.refused = errorMessage(err);
        }
      }
      return p;
    });
  }

  /** Loads the driver and opens the first connection, which proves the server answers. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#pool) return;
    const endpoint = this.#target.endpoint;
    try {
      this.#driver ??= await loadDriver(this.#target.kind);
    } catch (err) {
      throw new ConnectError(
        endpoint,
        `${this.#prefix()}: cannot load the ${this.#target.kind} driver: ${
          this.#redactor.redact(errorMessage(err))
        }`,
        { cause: err },
      );
    }
    const driver = this.#driver;
    const pool = new Pool(
      (sig) => driver.connect(this.#target, sig),
      {
        size: this.#config.pool.size,
        idleTimeoutMs: this.#config.pool.idle_timeout,
        maxLifetimeMs: this.#config.pool.max_lifetime,
        acquireTimeoutMs: this.#config.pool.acquire_timeout,
      },
      () => this.#deps.clock.now(),
    );
    try {
      const lease = await pool.acquire(signal);
      lease.release();
    } catch (err) {
      await pool.close();
      throw this.#connectError(err);
    }
    if (this.#stopped) {
      await pool.close();
      return;
    }
    this.#pool = pool;
    this.#log.info("database connected", { database: this.#target.kind, endpoint });
  }

  #prefix(query?: string): string {
    const q = query === undefined ? "" : `: query ${JSON.stringify(query)}`;
    return `database source ${JSON.stringify(this.name)}${q}`;
  }

  #connectError(err: unknown, query?: string): Error {
    if (err instanceof TimeoutError) return err;
    return new ConnectError(
      this.#target.endpoint,
      `${this.#prefix(query)}: cannot connect to ${this.#target.endpoint}: ${
        this.#redactor.redact(describe(err))
      }`,
      { cause: err },
    );
  }

  async collect(acc: Accumulator, signal: AbortSignal): Promise<void> {
    const pool = this.#pool;
    if (!pool) {
      acc.addError(
        new ConnectError(this.#target.endpoint, `${this.#prefix()}: not started`),
      );
      return;
    }
    const now = this.#deps.clock.now();
    // A query with its own interval runs on the tick nearest to when it is due.
    const due = this.#queries.filter((q) =>
      q.config.interval === undefined || q.lastRunAt === undefined ||
      now - q.lastRunAt + this.#config.interval / 2 >= q.config.interval
    );
    const run = {};
    let next = 0;
    const worker = async () => {
      while (next < due.length && !signal.aborted) {
        const q = due[next++];
        q.lastRunAt = now;
        await this.#run(pool, q, acc, signal, run);
      }
    };
    // One listener per run (not per query) cuts the run's queries in flight short.
    const onAbort = () => this.#deadlines.abortRun(signal.reason, run);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const n = Math.min(this.#config.max_concurrency, due.length);
      if (n === 1) await worker();
      else await Promise.all(Array.from({ length: n }, worker));
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Counts a failed run of `q` and reports the error under its name. */
  #fail(q: PreparedQuery, acc: Accumulator, err: Error): void {
    q.failures++;
    acc.addError(err, q.config.name);
  }

  /**
   * One run of one query: one async frame from lease to samples (each
   * `await` of a nested async function would cost the event loop extra turns
   * at 50 queries a second).
   */
  async #run(
    pool: Pool,
    q: PreparedQuery,
    acc: Accumulator,
    runSignal: AbortSignal,
    run: object,
  ): Promise<void> {
    const name = q.config.name;
    if (q.refused) {
      return this.#fail(
        q,
        acc,
        new CollectError(this.name, `${this.#prefix(name)}: refused: ${q.refused}`, {
          query: name,
        }),
      );
    }
    q.runs++;
    let params: unknown[] = NO_PARAMS;
    if (q.config.params.length > 0) {
      const now = this.#deps.clock.now();
      const bound = q.config.params.map((p) => resolveParam(p, now));
      params = q.translated!.order.map((i) => bound[i]);
    }
    // The client-side deadline: one shared timer watches every query in flight.
    const deadline = this.#deadlines.start(q.timeoutMs, run);
    const signal = deadline.controller.signal;
    if (runSignal.aborted) deadline.controller.abort(runSignal.reason);
    const t0 = performance.now();
    let result;
    try {
      for (let attempt = 0;; attempt++) {
        // An idle connection is taken synchronously: no promise, no extra turn of the event loop.
        let lease = pool.tryAcquire();
        if (!lease) {
          try {
            lease = await pool.acquire(signal);
          } catch (err) {
            return this.#fail(q, acc, this.#queryError(err, name, deadline, q.timeoutMs));
          }
        }
        try {
          result = await lease.conn.query(q.translated!.sql, params, {
            timeoutMs: q.timeoutMs,
            signal,
            maxRows: q.maxRows,
          });
          lease.release();
          break;
        } catch (err) {
          const broken = signal.aborted || this.#driver!.isConnectionError(err) ||
            !lease.conn.alive;
          lease.release(broken);
          // A session that sat in the pool may have been cut (server restart, firewall): try a fresh one.
          if (broken && lease.reused && attempt === 0 && !signal.aborted) {
            this.#log.info("stale pooled connection replaced", {
              query: name,
              error: this.#redactor.redact(describe(err)),
            });
            continue;
          }
          return this.#fail(q, acc, this.#queryError(err, name, deadline, q.timeoutMs));
        }
      }
    } finally {
      this.#deadlines.end(deadline);
    }
    q.lastDurationMs = Math.round((performance.now() - t0) * 100) / 100;
    q.lastRows = result.rows.length;
    const mapped = mapRows(q.rules, result);
    if (result.truncated && q.maxRows > 1) {
      mapped.problems.unshift(
        `the result has more than max_rows = ${q.maxRows} rows; only the first ${q.maxRows} were read`,
      );
    }
    this.#report(q, acc, mapped);
  }

  /** Hands a query's mapped samples and problems to the accumulator. */
  #report(q: PreparedQuery, acc: Accumulator, mapped: Mapped): void {
    const name = q.config.name;
    const samples = mapped.samples;
    for (let i = 0; i < samples.length; i++) acc.add(samples[i]);
    if (mapped.problems.length > 0) {
      for (const problem of mapped.problems) {
        acc.addError(
          new CollectError(this.name, `${this.#prefix(name)}: ${problem}`, { query: name }),
          name,
        );
      }
      if (samples.length === 0) q.failures++;
    }
    if (mapped.lossy.size === 0) return;
    for (const column of mapped.lossy) {
      this.#precisionLosses++;
      const key = `${name}\u0000${column}`;
      if (this.#lossWarned.has(key)) continue;
      this.#lossWarned.add(key);
      this.#log.warn("precision lost converting to a 64-bit float", { query: name, column });
    }
  }

  #queryError(
    err: unknown,
    query: string,
    deadline: Deadline,
    timeoutMs: number,
  ): Error {
    const signal = deadline.controller.signal;
    if (err instanceof TimeoutError) {
      return new TimeoutError(
        `${this.#prefix(query)}: ${err.message.replace(/ timed out.*$/, "")}`,
        err.timeoutMs,
        {
          cause: err,
        },
      );
    }
    if (deadline.timedOut || isServerTimeout(err)) {
      return new TimeoutError(this.#prefix(query), timeoutMs, { cause: err });
    }
    if (signal.aborted) {
      return new CollectError(this.name, `${this.#prefix(query)}: aborted`, {
        cause: err,
        query,
      });
    }
    if (this.#driver!.isConnectionError(err) || err instanceof ConnectError) {
      return this.#connectError(err, query);
    }
    return new CollectError(
      this.name,
      `${this.#prefix(query)}: ${this.#redactor.redact(describe(err))}`,
      { cause: err, query },
    );
  }

  details(): Record<string, unknown> {
    return {
      database: this.#target.kind,
      endpoint: this.#redactor.redact(this.#target.endpoint),
      read_only: this.#target.readOnly,
      connected: this.#pool !== undefined,
      ...(this.#pool && { pool: this.#pool.stats() }),
      precision_losses: this.#precisionLosses,
      queries: Object.fromEntries(this.#queries.map((q) => [q.config.name, {
        runs: q.runs,
        failures: q.failures,
        ...(q.lastDurationMs !== undefined && { last_duration_ms: q.lastDurationMs }),
        ...(q.lastRows !== undefined && { last_rows: q.lastRows }),
      }])),
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deadlines.close(new Error("the source stopped"));
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close();
  }
}

/** Whether the server cancelled the statement for its own timeout. */
function isServerTimeout(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  // PostgreSQL 57014 query_canceled; MySQL 3024 / MariaDB 1969 max statement time exceeded.
  return e?.code === "57014" || e?.errno === 3024 || e?.errno === 1969;
}

/** A driver error as one line: its message, with the code when it adds something. */
function describe(err: unknown): string {
  const msg = errorMessage(err) || (err as { code?: string })?.code || String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code !== "" && !msg.includes(code) ? `${msg} (${code})` : msg;
}
