import { assert, assertEquals, assertRejects } from "../../../tests/assert.ts";
import { ConnectError, TimeoutError } from "../../core/mod.ts";
import { loadDriver } from "./driver.ts";
import { Pool, type PoolOptions } from "./pool.ts";

// Real SQLite sessions: the pool's behaviour does not depend on the database.
const driver = await loadDriver("sqlite");
const target = {
  kind: "sqlite" as const,
  raw: "sqlite::memory:",
  endpoint: "sqlite::memory:",
  readOnly: true,
  path: ":memory:",
};

function pool(opts: Partial<PoolOptions> = {}, clock = { t: 0 }) {
  let opened = 0;
  const p = new Pool(
    (sig) => {
      opened++;
      return driver.connect(target, sig);
    },
    { size: 2, idleTimeoutMs: 10_000, maxLifetimeMs: 60_000, acquireTimeoutMs: 50, ...opts },
    () => clock.t,
  );
  return { p, clock, opened: () => opened };
}

Deno.test("Pool reuses idle connections and reports its state", async () => {
  const { p, opened } = pool();
  const a = await p.acquire(AbortSignal.timeout(10_000));
  assertEquals(a.reused, false);
  a.release();
  const b = await p.acquire(AbortSignal.timeout(10_000));
  assertEquals([b.reused, b.conn === a.conn, opened()], [true, true, 1]);
  const s = p.stats();
  assertEquals([s.size, s.open, s.in_use, s.idle, s.waiting, s.acquires], [2, 1, 1, 0, 0, 2]);
  b.release();
  b.release(); // twice is harmless
  assertEquals(p.stats().idle, 1);
  await p.close();
  await p.close();
});

Deno.test("Pool queues acquirers when full and times them out", async () => {
  const { p } = pool({ size: 1 });
  const a = await p.acquire(AbortSignal.timeout(10_000));
  const waiting = p.acquire(AbortSignal.timeout(10_000));
  assertEquals(p.stats().waiting, 1);
  a.release();
  const b = await waiting;
  assertEquals(b.conn, a.conn);
  await assertRejects(
    () => p.acquire(AbortSignal.timeout(10_000)),
    TimeoutError,
    "waiting for a pooled connection (all 1 in use) timed out after 50 ms",
  );
  assertEquals(p.stats().acquire_timeouts, 1);
  b.release();
  await p.close();
});

Deno.test("Pool replaces broken connections and hands a new one to a waiter", async () => {
  const { p, opened } = pool({ size: 1, acquireTimeoutMs: 10_000 });
  const a = await p.acquire(AbortSignal.timeout(10_000));
  const waiting = p.acquire(AbortSignal.timeout(10_000));
  a.release(true);
  const b = await waiting;
  assert(b.conn !== a.conn, "a fresh connection");
  assertEquals([a.conn.alive, opened(), p.stats().connections_replaced], [false, 2, 1]);
  b.release();
  // A connection that died while idle is replaced on the next acquire.
  await b.conn.close();
  const c = await p.acquire(AbortSignal.timeout(10_000));
  assertEquals([c.reused, p.stats().connections_replaced], [false, 2]);
  c.release();
  await p.close();
});

Deno.test("Pool closes connections past their idle timeout or lifetime", async () => {
  const { p, clock } = pool({ idleTimeoutMs: 100, maxLifetimeMs: 1000 });
  const a = await p.acquire(AbortSignal.timeout(10_000));
  a.release();
  clock.t = 100;
  const b = await p.acquire(AbortSignal.timeout(10_000));
  assert(b.conn !== a.conn, "idle one expired");
  assertEquals(p.stats().connections_expired, 1);
  clock.t = 1100;
  b.release();
  assertEquals([p.stats().connections_expired, p.stats().open], [2, 0]);
  await p.close();
});

Deno.test("Pool rejects waiters and acquires once closed", async () => {
  const { p } = pool({ size: 1, acquireTimeoutMs: 10_000 });
  const a = await p.acquire(AbortSignal.timeout(10_000));
  const waiting = p.acquire(AbortSignal.timeout(10_000));
  // The rejection handler goes on before close() rejects the waiter.
  const rejected = assertRejects(() => waiting, ConnectError, "the pool is closed");
  await p.close();
  await rejected;
  await assertRejects(
    () => p.acquire(AbortSignal.timeout(10_000)),
    ConnectError,
    "the pool is closed",
  );
  assertEquals(a.conn.alive, false);
  a.release();
});

Deno.test("Pool counts failed connects and passes the error on", async () => {
  const p = new Pool(
    () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:1")),
    { size: 1, idleTimeoutMs: 1, maxLifetimeMs: 1, acquireTimeoutMs: 1 },
    () => 0,
  );
  await assertRejects(() => p.acquire(AbortSignal.timeout(10_000)), Error, "ECONNREFUSED");
  assertEquals([p.stats().connect_failures, p.stats().open], [1, 0]);
  await p.close();
});

Deno.test("Pool.tryAcquire lends an idle connection synchronously, and nothing otherwise", async () => {
  const { p, clock, opened } = pool({ size: 1 });
  assertEquals(p.tryAcquire(), undefined); // nothing open yet: acquire() opens
  const a = await p.acquire(AbortSignal.timeout(10_000));
  assertEquals(p.tryAcquire(), undefined); // the only connection is in use
  a.release();
  const b = p.tryAcquire()!;
  assertEquals([b.conn === a.conn, b.reused, opened(), p.stats().acquires], [true, true, 1, 2]);
  // A waiter queued behind a busy pool goes first: tryAcquire does not jump the queue.
  const waiting = p.acquire(AbortSignal.timeout(10_000));
  b.release();
  const c = await waiting;
  c.release();
  // An idle connection past its idle timeout is closed, not lent.
  clock.t += 10_000;
  assertEquals(p.tryAcquire(), undefined);
  assertEquals([p.stats().connections_expired, p.stats().open], [1, 0]);
  await p.close();
  assertEquals(p.tryAcquire(), undefined);
});
