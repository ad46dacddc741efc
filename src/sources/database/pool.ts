/**
 * A small connection pool shared by the queries of one source: bounded size,
 * FIFO waiters with an acquire timeout, idle timeout and maximum lifetime
 * checked when a connection is handed out or returned (the agent owns time,
 * so the pool keeps no timers), and replacement of connections that broke.
 * Its counters feed `/status` so that a saturated pool is visible.
 * @module
 */
import { ConnectError, TimeoutError } from "../../core/mod.ts";
import type { DbConnection } from "./driver.ts";

/** Pool limits, in milliseconds. */
export interface PoolOptions {
  /** Connections at most. @default {2} */
  size: number;
  /** A connection idle this long is closed. @default {300000} */
  idleTimeoutMs: number;
  /** A connection this old is closed when it comes back. @default {1800000} */
  maxLifetimeMs: number;
  /** Waiting for a connection longer than this fails the query. @default {5000} */
  acquireTimeoutMs: number;
}

interface Entry {
  conn: DbConnection;
  createdAt: number;
  idleSince: number;
  /** Handed out before: a failure on it may be a stale session. */
  used: boolean;
}

/** A connection on loan from the pool. */
export interface Lease {
  readonly conn: DbConnection;
  /** Whether the connection had served queries before (and so may have gone stale). */
  readonly reused: boolean;
  /** Returns the connection; `broken` closes and replaces it. */
  release(broken?: boolean): void;
}

/** What `/status` shows of a pool. */
export interface PoolStats {
  size: number;
  open: number;
  in_use: number;
  idle: number;
  waiting: number;
  acquires: number;
  acquire_timeouts: number;
  acquire_wait_ms_last: number;
  acquire_wait_ms_max: number;
  acquire_wait_ms_total: number;
  connections_opened: number;
  connections_replaced: number;
  connections_expired: number;
  connect_failures: number;
}

interface Waiter {
  resolve: (lease: Lease) => void;
  reject: (err: unknown) => void;
  enqueuedAt: number;
}

/**
 * A pool of database connections.
 *
 * @example Borrowing a connection
 * ```ts
 * const pool = new Pool((signal) => driver.connect(target, signal), options, () => Date.now());
 * const lease = await pool.acquire(signal);
 * try {
 *   await lease.conn.query("SELECT 1", [], { timeoutMs: 1000, signal });
 * } finally {
 *   lease.release();
 * }
 * ```
 */
export class Pool {
  #connect: (signal: AbortSignal) => Promise<DbConnection>;
  #opts: PoolOptions;
  #now: () => number;
  #idle: Entry[] = [];
  #busy = new Set<Entry>();
  #opening = 0;
  #waiters: Waiter[] = [];
  #closed = false;
  #stats = {
    acquires: 0,
    acquire_timeouts: 0,
    acquire_wait_ms_last: 0,
    acquire_wait_ms_max: 0,
    acquire_wait_ms_total: 0,
    connections_opened: 0,
    connections_replaced: 0,
    connections_expired: 0,
    connect_failures: 0,
  };

  constructor(
    connect: (signal: AbortSignal) => Promise<DbConnection>,
    opts: PoolOptions,
    now: () => number,
  ) {
    this.#connect = connect;
    this.#opts = opts;
    this.#now = now;
  }

  /** Counters and gauges for `/status`. */
  stats(): PoolStats {
    return {
      size: this.#opts.size,
      open: this.#idle.length + this.#busy.size,
      in_use: this.#busy.size,
      idle: this.#idle.length,
      waiting: this.#waiters.length,
      ...this.#stats,
      acquire_wait_ms_total: Math.round(this.#stats.acquire_wait_ms_total * 100) / 100,
    };
  }

  /**
   * Borrows an idle connection that is still good, synchronously, or returns
   * `undefined` (none idle, or the pool is closed): then call `acquire`. The
   * common case of a pool with a free connection costs no promise.
   */
  tryAcquire(): Lease | undefined {
    if (this.#closed || this.#idle.length === 0 || this.#waiters.length > 0) return undefined;
    const now = this.#now();
    const entry = this.#takeIdle(now);
    return entry && this.#lend(entry, now, now);
  }

  /**
   * Borrows a connection: an idle one that is still good, a new one while
   * under `size`, or the next one returned. Rejects with a `TimeoutError`
   * after `acquireTimeoutMs`, or a `ConnectError` when a new one cannot open.
   */
  acquire(signal: AbortSignal): Promise<Lease> {
    if (this.#closed) return Promise.reject(new ConnectError("pool", "the pool is closed"));
    const t0 = this.#now();
    const entry = this.#takeIdle(t0);
    if (entry) return Promise.resolve(this.#lend(entry, t0, t0));
    if (this.#busy.size + this.#opening < this.#opts.size) return this.#open(signal, t0);
    return new Promise<Lease>((resolve, reject) => {
      const timeout = AbortSignal.timeout(this.#opts.acquireTimeoutMs);
      const sig = AbortSignal.any([signal, timeout]);
      const waiter: Waiter = {
        enqueuedAt: t0,
        resolve: (lease) => {
          sig.removeEventListener("abort", onAbort);
          resolve(lease);
        },
        reject: (err) => {
          sig.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        if (timeout.aborted && !signal.aborted) {
          this.#stats.acquire_timeouts++;
          reject(
            new TimeoutError(
              `waiting for a pooled connection (all ${this.#opts.size} in use)`,
              this.#opts.acquireTimeoutMs,
            ),
          );
        } else reject(signal.reason);
      };
      sig.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** An idle connection that is alive and within its idle time and lifetime. */
  #takeIdle(now = this.#now()): Entry | undefined {
    // Most recently returned first: its session is the least likely to have been cut.
    while (this.#idle.length > 0) {
      const e = this.#idle.pop()!;
      if (!e.conn.alive) {
        this.#stats.connections_replaced++;
        e.conn.close();
        continue;
      }
      if (this.#expired(e, now)) {
        this.#stats.connections_expired++;
        e.conn.close();
        continue;
      }
      return e;
    }
    return undefined;
  }

  #expired(e: Entry, now: number): boolean {
    return now - e.idleSince >= this.#opts.idleTimeoutMs ||
      now - e.createdAt >= this.#opts.maxLifetimeMs;
  }

  async #open(signal: AbortSignal, t0: number): Promise<Lease> {
    this.#opening++;
    try {
      const conn = await this.#connect(signal);
      this.#stats.connections_opened++;
      if (this.#closed) {
        await conn.close();
        throw new ConnectError("pool", "the pool is closed");
      }
      const now = this.#now();
      return this.#lend({ conn, createdAt: now, idleSince: now, used: false }, t0, now);
    } catch (err) {
      this.#stats.connect_failures++;
      throw err;
    } finally {
      this.#opening--;
    }
  }

  #lend(entry: Entry, t0: number, now = this.#now()): Lease {
    this.#busy.add(entry);
    const wait = now - t0;
    this.#stats.acquires++;
    this.#stats.acquire_wait_ms_last = wait;
    this.#stats.acquire_wait_ms_total += wait;
    if (wait > this.#stats.acquire_wait_ms_max) this.#stats.acquire_wait_ms_max = wait;
    const reused = entry.used;
    entry.used = true;
    let released = false;
    return {
      conn: entry.conn,
      reused,
      release: (broken = false) => {
        if (released) return;
        released = true;
        this.#return(entry, broken);
      },
    };
  }

  #return(entry: Entry, broken: boolean): void {
    this.#busy.delete(entry);
    const now = this.#now();
    if (this.#closed || broken || !entry.conn.alive) {
      if (!this.#closed) this.#stats.connections_replaced++;
      entry.conn.close();
      this.#serveWaiter();
      return;
    }
    if (now - entry.createdAt >= this.#opts.maxLifetimeMs) {
      this.#stats.connections_expired++;
      entry.conn.close();
      this.#serveWaiter();
      return;
    }
    entry.idleSince = now;
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(this.#lend(entry, waiter.enqueuedAt));
      return;
    }
    this.#idle.push(entry);
    this.#evictIdle(now);
  }

  /** Closes idle connections past their idle timeout (checked whenever one comes back). */
  #evictIdle(now: number): void {
    // In place: this runs on every return, and usually evicts nothing.
    let kept = 0;
    for (let i = 0; i < this.#idle.length; i++) {
      const e = this.#idle[i];
      if (this.#expired(e, now)) {
        this.#stats.connections_expired++;
        e.conn.close();
      } else this.#idle[kept++] = e;
    }
    this.#idle.length = kept;
  }

  /** After a connection closed, opens a new one for the first waiter. */
  #serveWaiter(): void {
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    const entry = this.#takeIdle();
    if (entry) {
      waiter.resolve(this.#lend(entry, waiter.enqueuedAt));
      return;
    }
    this.#open(AbortSignal.timeout(this.#opts.acquireTimeoutMs), waiter.enqueuedAt).then(
      waiter.resolve,
      waiter.reject,
    );
  }

  /** Closes every connection; waiters are rejected. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) {
      w.reject(new ConnectError("pool", "the pool is closed"));
    }
    const all = [...this.#idle, ...this.#busy];
    this.#idle = [];
    await Promise.all(all.map((e) => e.conn.close()));
  }
}
