/**
 * Fault tests: a loopback TCP proxy the test controls sits between the
 * database source and the real PostgreSQL (and MariaDB). The database is
 * down at start, goes down mid-run, comes back; pooled sessions go stale;
 * a connection drops mid-query; traffic slows down. The source recovers on
 * its own, without a restart of Sextant.
 */
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStringIncludes,
  waitFor,
} from "../assert.ts";
import { ConnectError, TimeoutError } from "../../src/core/mod.ts";
import { databaseKind } from "../../src/sources/database/mod.ts";
import { configFor, RecordingAccumulator, testDeps } from "../support/source_harness.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp_proxy.ts";
import {
  MYSQL_URL,
  PG_URL,
  reachable,
  RUN,
  startAgent,
  withCredentials,
  withMysqlDb,
} from "./database_helpers.ts";

const PG = await reachable(PG_URL, "PostgreSQL");
const MY = await reachable(MYSQL_URL, "MariaDB/MySQL");
const PASSWORD = `Fault-Secret-${RUN}`;

async function withProxy(
  url: string,
  fn: (proxy: TcpProxy, viaProxy: string) => Promise<void>,
): Promise<void> {
  const u = new URL(url);
  const proxy = await startTcpProxy({ hostname: u.hostname, port: Number(u.port) });
  u.host = `127.0.0.1:${proxy.port}`;
  try {
    await fn(proxy, u.href);
  } finally {
    await proxy.close();
  }
}

const pgViaProxy = (port: number) => {
  const u = new URL(withCredentials(PG_URL, new URL(PG_URL).username || "postgres", PASSWORD));
  u.host = `127.0.0.1:${port}`;
  return u.href;
};

async function collectOnce(src: ReturnType<typeof databaseKind.create>) {
  const acc = new RecordingAccumulator();
  await src.collect(acc, AbortSignal.timeout(10_000));
  return acc;
}

type PoolStats = Record<string, number>;

Deno.test({
  name: "database source recovers through the agent: down at start, down mid-run, back again",
  ignore: !PG,
  async fn() {
    const u = new URL(PG_URL);
    const proxy = await startTcpProxy({ hostname: u.hostname, port: Number(u.port) });
    proxy.refuse();
    const lines: string[] = [];
    const agent = startAgent({
      sources: [{
        name: "db",
        type: "database",
        connection_string: pgViaProxy(proxy.port),
        interval: "100ms",
        timeout: "2s",
        queries: [{ name: "one", sql: "SELECT 1" }],
        // Retries on every run; the breaker's part is tested below.
        breaker: { enabled: false },
      }],
    }, lines);
    await agent.start();
    try {
      const status = () => agent.status().sources[0];
      // Down at start: the start fails, and is retried on each run.
      await waitFor(
        () => status().failures >= 2,
        "failed starts while the database is down",
        10_000,
      );
      assertEquals(status().started, false);
      assertStringIncludes(status().last_errors[0].message, "cannot connect to");
      assertStringIncludes(status().last_errors[0].message, "ECONNREFUSED");
      // Back: the source starts by itself and collects.
      await proxy.accept();
      await waitFor(
        () => status().started && status().state === "ok",
        "the source to start once the database is back",
        10_000,
      );
      // Down mid-run: queries fail, each with its error.
      proxy.refuse();
      const failuresBefore = status().failures;
      await waitFor(
        () => status().failures >= failuresBefore + 2,
        "failed runs while the database is down",
        10_000,
      );
      assertEquals(status().state, "failed");
      // Back again: it recovers with no restart.
      await proxy.accept();
      await waitFor(() => status().state === "ok", "recovery after the outage", 10_000);
      const pool = (status().details as { pool: PoolStats }).pool;
      assert(pool.connect_failures >= 1, JSON.stringify(pool));
      assert(pool.connections_replaced >= 1, JSON.stringify(pool));
      const all = lines.join("\n") + JSON.stringify(agent.status());
      assert(!all.includes(PASSWORD), "the password appears in the log or /status");
    } finally {
      await agent.stop();
      await proxy.close();
    }
  },
});

Deno.test({
  name: "database source replaces a stale pooled PostgreSQL session without an error",
  ignore: !PG,
  async fn() {
    const u = new URL(PG_URL);
    const proxy = await startTcpProxy({ hostname: u.hostname, port: Number(u.port) });
    const src = databaseKind.create(
      configFor(databaseKind, {
        connection_string: pgViaProxy(proxy.port),
        queries: [{ name: "one", sql: "SELECT 1" }],
        pool: { size: 1 },
      }),
      testDeps(),
    );
    try {
      await src.start(AbortSignal.timeout(5000));
      assertEquals((await collectOnce(src)).value("one"), 1);
      // A firewall or a server restart cut the idle session.
      proxy.dropAll();
      const acc = await collectOnce(src);
      assertEquals(acc.errors, []);
      assertEquals(acc.value("one"), 1);
      const pool = src.details!().pool as PoolStats;
      assertEquals([pool.connections_replaced, pool.connections_opened, pool.open], [1, 2, 1]);
    } finally {
      await src.stop();
      await proxy.close();
    }
  },
});

Deno.test({
  name:
    "database source retries a query cut mid-way, reports a dead link and a slow one, and recovers",
  ignore: !PG,
  async fn() {
    const u = new URL(PG_URL);
    const proxy = await startTcpProxy({ hostname: u.hostname, port: Number(u.port) });
    const src = databaseKind.create(
      configFor(databaseKind, {
        connection_string: pgViaProxy(proxy.port),
        timeout: "400ms",
        pool: { size: 1 },
        queries: [{ name: "one", sql: "SELECT 1" }],
      }),
      testDeps(),
    );
    try {
      await src.start(AbortSignal.timeout(5000));
      const fresh = await collectOnce(src); // the first query on the session
      assertEquals(fresh.value("one"), 1);
      // A query cut mid-way on a pooled session is retried once on a fresh session: no error.
      proxy.dropOnNextRequest(1);
      const retried = await collectOnce(src);
      assertEquals(retried.errors, []);
      assertEquals(retried.value("one"), 1);
      assertEquals((src.details!().pool as PoolStats).connections_replaced, 1);
      // Every request cut: the retry's new session never gets through its start-up (postgres.js
      // keeps trying), so the query fails with its own timeout and the run goes on.
      proxy.dropOnNextRequest(1000);
      const cut = await collectOnce(src);
      assertEquals(cut.samples, []);
      assertEquals(cut.errors.map((e) => e.item), ["one"]);
      assertInstanceOf(cut.errors[0].err, TimeoutError);
      assertEquals(
        (cut.errors[0].err as Error).message,
        'database source "test": query "one" timed out after 400 ms',
      );
      proxy.dropOnNextRequest(0);
      assertEquals((await collectOnce(src)).value("one"), 1);
      proxy.setDelay(1000);
      const slow = await collectOnce(src);
      assertInstanceOf(slow.errors[0].err, TimeoutError);
      assertEquals(
        (slow.errors[0].err as Error).message,
        'database source "test": query "one" timed out after 400 ms',
      );
      proxy.setDelay(0);
      await waitFor(
        async () => (await collectOnce(src)).value("one") === 1,
        "recovery after the slow link",
        10_000,
      );
      const pool = src.details!().pool as PoolStats;
      assert(pool.connections_replaced >= 3, JSON.stringify(pool));
    } finally {
      await src.stop();
      await proxy.close();
    }
  },
});

Deno.test({
  name: "database source replaces a stale pooled MariaDB session and recovers after an outage",
  ignore: !MY,
  async fn() {
    await withMysqlDb(async (db) => {
      await withProxy(db.url, async (proxy, url) => {
        const src = databaseKind.create(
          configFor(databaseKind, {
            connection_string: url,
            queries: [{ name: "n", sql: "SELECT COUNT(*) FROM orders" }],
            pool: { size: 1 },
          }),
          testDeps(),
        );
        try {
          await src.start(AbortSignal.timeout(5000));
          assertEquals((await collectOnce(src)).value("n"), 3);
          proxy.dropAll();
          const stale = await collectOnce(src);
          assertEquals(stale.errors, []);
          assertEquals(stale.value("n"), 3);
          proxy.refuse();
          const down = await collectOnce(src);
          assertInstanceOf(down.errors[0].err, ConnectError);
          assertStringIncludes((down.errors[0].err as Error).message, "ECONNREFUSED");
          await proxy.accept();
          assertEquals((await collectOnce(src)).value("n"), 3);
          assert(!JSON.stringify(src.details!()).includes(db.password));
        } finally {
          await src.stop();
        }
      });
    });
  },
});

Deno.test({
  name:
    "database down at start and mid-run opens the breaker, which closes when it is back; the other source keeps its schedule",
  ignore: !PG,
  async fn() {
    const u = new URL(PG_URL);
    const proxy = await startTcpProxy({ hostname: u.hostname, port: Number(u.port) });
    proxy.refuse();
    const lines: string[] = [];
    const agent = startAgent({
      sources: [
        {
          name: "db",
          type: "database",
          connection_string: pgViaProxy(proxy.port),
          interval: "100ms",
          timeout: "2s",
          queries: [{ name: "one", sql: "SELECT 1" }],
          on_failure: "last_value",
          breaker: { failure_threshold: 3, cooldown: "300ms", max_cooldown: "600ms", jitter: 0 },
        },
        { name: "clock", type: "system", interval: "100ms" },
      ],
    }, lines);
    await agent.start();
    const db = () => agent.status().sources.find((s) => s.name === "db")!;
    const other = () => agent.status().sources.find((s) => s.name === "clock")!;
    try {
      // Down at start: three failed starts open the breaker; then the source is not called.
      await waitFor(() => db().breaker?.state === "open", "the breaker to open", 10_000);
      assertEquals(db().failures, 3);
      await waitFor(() => db().skipped_open >= 2, "ticks skipped while open", 10_000);
      // Back: the next probe starts the source and closes the breaker.
      await proxy.accept();
      await waitFor(
        () => db().breaker?.state === "closed" && db().state === "ok",
        "recovery",
        10_000,
      );
      const text = await (await fetch(agent.pipeline.endpoints[0].url)).text();
      assertStringIncludes(text, "db_one 1");
      // Down mid-run: the last value is served as stale while the breaker opens again.
      proxy.refuse();
      await waitFor(() => db().breaker?.state === "open", "the breaker to reopen", 10_000);
      const stale = await (await fetch(agent.pipeline.endpoints[0].url)).text();
      assertStringIncludes(stale, 'db_one{stale="true"} 1');
      await proxy.accept();
      await waitFor(() => db().breaker?.state === "closed", "recovery after the outage", 10_000);
      assert(db().breaker!.transitions >= 6, JSON.stringify(db().breaker));
      const opened = lines.filter((l) => l.includes("circuit breaker opened"));
      assert(opened.length >= 2, opened.join("\n"));
      // The other source kept its schedule all along.
      assert(other().overruns === 0 && other().collections >= 10, JSON.stringify(other()));
      const all = lines.join("\n") + JSON.stringify(agent.status());
      assert(!all.includes(PASSWORD), "the password appears in the log or /status");
    } finally {
      await agent.stop();
      await proxy.close();
    }
  },
});
