/**
 * Degradation with real sources: an http source against a loopback server
 * that refuses, answers 500 or hangs, through the circuit breaker,
 * `last_value` and `fallback`; and a real PostgreSQL source with one query
 * that starts failing mid-run (partial: stale per metric, breaker closed);
 * and the bottleneck report on a real PostgreSQL pool of one connection.
 * The agent's schedule runs on fake time; the I/O is real.
 */
import { assert, assertEquals, assertMatch, waitFor } from "../assert.ts";
import { Agent, buildDocumentSchema } from "../../src/agent/mod.ts";
import { createLogger, FakeClock, Redactor, systemClock } from "../../src/core/mod.ts";
import { builtinSourceKinds } from "../../src/sources/mod.ts";
import { platform } from "../../src/runtime/mod.ts";
import { PG_URL, reachable, RUN } from "./database_helpers.ts";
import postgres from "postgres";

type Mode = "ok" | "500" | "hang";

/** A loopback server: `/primary` answers as `mode` says, `/replica` always `{"v": 9}`. */
function startTarget() {
  const state = { mode: "ok" as Mode, hits: 0 };
  const hung: (() => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/replica") return Response.json({ v: 9 });
    state.hits++;
    if (state.mode === "500") return new Response("broken", { status: 500 });
    if (state.mode === "hang") {
      return new Promise<Response>((resolve) => hung.push(() => resolve(Response.json({ v: 1 }))));
    }
    return Response.json({ v: 7 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    state,
    base,
    async close() {
      for (const h of hung) h();
      await server.shutdown();
    },
  };
}

/** An agent on fake time (`clock`), or on real time with `realTime`. */
function makeAgent(sources: Record<string, unknown>[], realTime = false) {
  const clock = new FakeClock(1_000_000);
  const lines: string[] = [];
  const redactor = new Redactor();
  const doc = buildDocumentSchema(builtinSourceKinds).parse({
    custom_metrics: { agent: { jitter: 0 }, admin: { enabled: false }, sources },
  });
  const agent = new Agent({
    config: doc,
    kinds: builtinSourceKinds,
    platform,
    logger: createLogger({ level: "debug", write: (l) => lines.push(l), redactor }),
    clock: realTime ? systemClock : clock,
    redactor,
    exporters: [],
  });
  const status = (name: string) => agent.status().sources.find((s) => s.name === name)!;
  /** Advances fake time, then waits for `name`'s real I/O to finish `runs` collections. */
  const runTo = async (ms: number, name: string, runs: number) => {
    await clock.advance(ms);
    await waitFor(() => status(name).collections >= runs, `${runs} runs of ${name}`, 5000);
    await clock.advance(0);
  };
  return { agent, clock, lines, status, runTo };
}

Deno.test("degrade: an http source answering 500 fails: breaker opens, up=0 and stale values exported, probe closes it", async () => {
  const target = startTarget();
  const { agent, clock, status, runTo } = makeAgent([{
    name: "api",
    type: "http",
    url: `${target.base}/primary`,
    interval: "100ms",
    timeout: "100ms",
    on_failure: "last_value",
    json_metrics: [{ name: "v", path: "v" }],
    breaker: { failure_threshold: 2, cooldown: "1s", jitter: 0 },
  }]);
  await agent.start();
  try {
    await runTo(0, "api", 1);
    let text = await agent.pipeline.prometheusText();
    assertMatch(text, /^api_v 7$/m);
    assertMatch(text, /^api_up 1$/m);

    target.state.mode = "500";
    await runTo(100, "api", 2);
    text = await agent.pipeline.prometheusText();
    assertMatch(text, /^api_up 0$/m, "the diagnostic is exported fresh");
    assertMatch(text, /^api_status_code 500$/m);
    assertMatch(text, /^api_v\{stale="true"\} 7$/m, "the last good value is served stale");
    let st = status("api");
    assertEquals([st.state, st.failures, st.serving], ["failed", 1, "stale"]);
    assertMatch(st.last_errors[0].message, /returned status 500, expected 2xx/);

    await runTo(100, "api", 3);
    assertEquals(status("api").breaker?.state, "open");
    const hits = target.state.hits;
    await clock.advance(800); // a skipped run at 1000 ms refreshes the self-metrics (once a second)
    assertEquals(target.state.hits, hits, "not called while open");
    assertMatch(
      await agent.pipeline.prometheusText(),
      /^sextant_source_failures_total\{source="api",type="http"\} 2$/m,
    );
    assertMatch(
      await agent.pipeline.prometheusText(),
      /^sextant_source_breaker_state\{source="api",type="http"\} 2$/m,
    );

    target.state.mode = "ok";
    await runTo(200, "api", 4); // the cooldown ends at 1200 ms: the probe succeeds
    st = status("api");
    assertEquals([st.breaker?.state, st.state, st.serving], ["closed", "ok", "fresh"]);
    text = await agent.pipeline.prometheusText();
    assertMatch(text, /^api_v 7$/m);
    assert(!/stale/.test(text), text);
  } finally {
    await agent.stop();
    await target.close();
  }
});

Deno.test("degrade: an unreachable http source counts as failed and opens its breaker", async () => {
  // A port nothing listens on: bind one, note it, close it.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const { agent, clock, status, runTo } = makeAgent([{
    name: "gone",
    type: "http",
    url: `http://127.0.0.1:${port}/health`,
    interval: "100ms",
    breaker: { failure_threshold: 2, cooldown: "1s", jitter: 0 },
  }]);
  await agent.start();
  try {
    await runTo(0, "gone", 1);
    await runTo(100, "gone", 2);
    const st = status("gone");
    assertEquals([st.state, st.failures, st.breaker?.state], ["failed", 2, "open"]);
    assertMatch(st.last_errors[0].message, /cannot reach GET/);
    let text = await agent.pipeline.prometheusText();
    assertMatch(text, /^gone_up 0$/m);
    assertMatch(text, /^sextant_source_up\{source="gone",type="http"\} 0$/m);
    await clock.advance(300); // skipped while open: the last diagnostics are repeated
    assertEquals(status("gone").collections, 2);
    assert(status("gone").skipped_open >= 3);
    text = await agent.pipeline.prometheusText();
    assertMatch(text, /^gone_up 0$/m);
  } finally {
    await agent.stop();
  }
});

Deno.test("degrade: an http source that hangs past its own deadline counts a timeout and a failure", async () => {
  const target = startTarget();
  target.state.mode = "hang";
  const { agent, status, runTo } = makeAgent([{
    name: "slow",
    type: "http",
    url: `${target.base}/primary`,
    interval: "1s",
    timeout: "200ms",
  }]);
  await agent.start();
  try {
    await runTo(0, "slow", 1);
    const st = status("slow");
    assertEquals([st.state, st.failures, st.timeouts], ["failed", 1, 1]);
    assertMatch(st.last_errors[0].message, /timed out/i);
    assertMatch(await agent.pipeline.prometheusText(), /^slow_up 0$/m);
  } finally {
    await agent.stop();
    await target.close();
  }
});

Deno.test("degrade: an http source with a fallback serves the other source's values while its breaker is open", async () => {
  const target = startTarget();
  target.state.mode = "500";
  const { agent, clock, status, runTo } = makeAgent([
    {
      name: "primary",
      type: "http",
      url: `${target.base}/primary`,
      interval: "100ms",
      fallback: "replica",
      json_metrics: [{ name: "v", path: "v" }],
      breaker: { failure_threshold: 1, cooldown: "1s", jitter: 0 },
    },
    {
      name: "replica",
      type: "http",
      url: `${target.base}/replica`,
      interval: "100ms",
      json_metrics: [{ name: "v", path: "v" }],
    },
  ]);
  await agent.start();
  try {
    await runTo(0, "replica", 1);
    await waitFor(() => status("primary").collections >= 1, "first primary run", 5000);
    await clock.advance(100); // open after the first run: this tick is skipped
    await waitFor(() => status("replica").collections >= 2, "second replica run", 5000);
    await clock.advance(0);
    assertEquals(status("primary").collections, 1, "not called while open");
    assertEquals(status("primary").breaker?.state, "open");
    assertEquals(status("primary").serving, "fallback:replica");
    const text = await agent.pipeline.prometheusText();
    assertMatch(text, /^primary_v\{fallback="replica"\} 9$/m);
    assertMatch(text, /^replica_v 9$/m);
  } finally {
    await agent.stop();
    await target.close();
  }
});

Deno.test("degrade: a PostgreSQL source with one failing query is partial: its metric is served stale, the breaker stays closed", async () => {
  if (!await reachable(PG_URL, "PostgreSQL")) return;
  const schema = `sx_degrade_${RUN}_${Math.floor(Math.random() * 1e6)}`;
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
  await sql.unsafe(
    `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.jobs (n int); INSERT INTO ${schema}.jobs VALUES (1), (2), (3);`,
  );
  const { agent, status, runTo } = makeAgent([{
    name: "db",
    type: "database",
    connection_string: PG_URL,
    interval: "100ms",
    timeout: "5s",
    on_failure: "last_value",
    breaker: { failure_threshold: 1, cooldown: "1s", jitter: 0 },
    queries: [
      { name: "one", sql: "SELECT 1 AS v" },
      { name: "jobs", sql: `SELECT COUNT(*) AS v FROM ${schema}.jobs` },
    ],
  }]);
  try {
    await agent.start();
    await runTo(0, "db", 1);
    let text = await agent.pipeline.prometheusText();
    assertMatch(text, /^db_jobs 3$/m);
    assertMatch(text, /^db_one 1$/m);

    await sql.unsafe(`DROP TABLE ${schema}.jobs`);
    await runTo(100, "db", 2);
    let st = status("db");
    assertEquals([st.state, st.failures, st.breaker?.state], ["partial", 0, "closed"]);
    assertEquals(st.serving, "fresh+stale");
    assertMatch(st.last_errors[0].message, /jobs/);
    text = await agent.pipeline.prometheusText();
    assertMatch(text, /^db_one 1$/m);
    assertMatch(text, /^db_jobs\{stale="true"\} 3$/m);

    await runTo(100, "db", 3);
    st = status("db");
    assertEquals([st.state, st.breaker?.state], ["partial", "closed"]);
  } finally {
    await agent.stop();
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await sql.end();
  }
});

Deno.test("bottlenecks: a real PostgreSQL pool of one connection with slow queries is flagged as saturated", async () => {
  if (!await reachable(PG_URL, "PostgreSQL")) return;
  // The pool times its waits on the agent's clock: real time here.
  const { agent } = makeAgent([{
    name: "slowdb",
    type: "database",
    connection_string: PG_URL,
    interval: "10s",
    timeout: "5s",
    max_concurrency: 2,
    pool: { size: 1 },
    queries: [
      { name: "a", sql: "SELECT 1 AS v FROM pg_sleep(0.3)" },
      { name: "b", sql: "SELECT 2 AS v FROM pg_sleep(0.3)" },
    ],
  }], true);
  try {
    await agent.collectOnce();
    const b = agent.status().bottlenecks.find((x) => x.source === "slowdb")!;
    // One query waited about 300 ms for the only connection, the other not at all.
    assert(b.pool_wait_ms_avg! >= 100, `average wait ${b.pool_wait_ms_avg}`);
    assertEquals(b.hints.length, 1, b.hints.join("\n"));
    assertMatch(
      b.hints[0],
      /^the connection pool is saturated \(\d+ ms average wait in the last 300 s\): raise the pool size$/,
    );
  } finally {
    await agent.stop();
  }
});
