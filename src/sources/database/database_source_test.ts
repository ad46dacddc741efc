/**
 * The client side of query deadlines against a real PostgreSQL behind a
 * slowed loopback proxy, where the server's `statement_timeout` cannot help:
 * the source's one shared timer must cut every query at its own deadline,
 * and an aborted run must cut its queries at once.
 */
import { assert, assertEquals, assertInstanceOf } from "../../../tests/assert.ts";
import { CollectError, TimeoutError } from "../../core/mod.ts";
import { databaseKind } from "./mod.ts";
import {
  configFor,
  RecordingAccumulator,
  testDeps,
} from "../../../tests/support/source_harness.ts";
import { startTcpProxy } from "../../../tests/support/tcp_proxy.ts";
import { PG_URL, reachable } from "../../../tests/integration/database_helpers.ts";

const PG = await reachable(PG_URL, "PostgreSQL");

async function slowSource(queries: Record<string, unknown>[]) {
  const u = new URL(PG_URL);
  const proxy = await startTcpProxy({ hostname: u.hostname, port: Number(u.port) });
  u.host = `127.0.0.1:${proxy.port}`;
  const src = databaseKind.create(
    configFor(databaseKind, {
      connection_string: u.href,
      timeout: "5s",
      max_concurrency: 3,
      pool: { size: 3 },
      queries,
    }),
    testDeps(),
  );
  await src.start(AbortSignal.timeout(5000));
  // Open every session first (a fresh session's start-up would be slowed too).
  assertEquals((await collect(src, AbortSignal.timeout(5000))).errors, []);
  proxy.setDelay(3000);
  return {
    src,
    async [Symbol.asyncDispose]() {
      await src.stop();
      await proxy.close();
    },
  };
}

async function collect(src: ReturnType<typeof databaseKind.create>, signal: AbortSignal) {
  const acc = new RecordingAccumulator();
  await src.collect(acc, signal);
  return acc;
}

Deno.test({
  name: "database source cuts each query at its own client-side deadline with one shared timer",
  ignore: !PG,
  async fn() {
    await using s = await slowSource([
      { name: "a", sql: "SELECT 1", timeout: "300ms" },
      { name: "b", sql: "SELECT 2", timeout: "800ms" },
      { name: "c", sql: "SELECT 3", timeout: "300ms" },
    ]);
    const t0 = performance.now();
    const acc = await collect(s.src, AbortSignal.timeout(10_000));
    const took = performance.now() - t0;
    assert(took >= 750 && took < 2500, `the run took ${took} ms`);
    assertEquals(acc.samples, []);
    const byItem = Object.fromEntries(acc.errors.map((e) => [e.item, e.err as Error]));
    assertEquals(Object.keys(byItem).sort(), ["a", "b", "c"]);
    for (const [q, ms] of [["a", 300], ["b", 800], ["c", 300]] as const) {
      assertInstanceOf(byItem[q], TimeoutError);
      assertEquals(
        byItem[q].message,
        `database source "test": query "${q}" timed out after ${ms} ms`,
      );
    }
  },
});

Deno.test({
  name: "database source cuts the queries of an aborted run short as aborted, not timed out",
  ignore: !PG,
  async fn() {
    await using s = await slowSource([{ name: "a", sql: "SELECT 1", timeout: "4s" }]);
    const run = new AbortController();
    const t0 = performance.now();
    const pending = collect(s.src, run.signal);
    setTimeout(() => run.abort(new Error("run cancelled")), 200);
    const acc = await pending;
    const took = performance.now() - t0;
    assert(took < 1500, `the run took ${took} ms`);
    assertEquals(acc.errors.map((e) => e.item), ["a"]);
    assertInstanceOf(acc.errors[0].err, CollectError);
    assertEquals(
      (acc.errors[0].err as Error).message,
      'database source "test": query "a": aborted',
    );
  },
});
