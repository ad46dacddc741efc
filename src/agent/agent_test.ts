import { z } from "zod";
import { assert, assertEquals, assertMatch, assertRejects, waitFor } from "../../tests/assert.ts";
import {
  type Clock,
  ConnectError,
  createLogger,
  FakeClock,
  type Logger,
  Redactor,
  type Source,
  type SourceKind,
  systemClock,
} from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { Agent } from "./agent.ts";
import { buildDocumentSchema, type Document } from "./schema.ts";

/** A source kind for agent tests: behaviour is chosen by `mode`. */
const testKind: SourceKind<{ mode: string; value: number }> = {
  type: "test",
  description: "test source",
  fields: {
    mode: z.enum([
      "ok",
      "hang",
      "fail_start_once",
      "partial",
      "throw",
      "stuck_stop",
      "ignore_abort",
      "many_errors",
      "details",
    ]),
    value: z.number().default(1),
  },
  secrets: () => ["hunter2-secret"],
  create(config) {
    let starts = 0;
    let stops = 0;
    const src: Source & { stops: () => number } = {
      name: config.name,
      type: "test",
      stops: () => stops,
      start() {
        starts++;
        if (config.mode === "fail_start_once" && starts === 1) {
          return Promise.reject(new Error("db down, password hunter2-secret"));
        }
        return Promise.resolve();
      },
      collect(acc, signal) {
        if (config.mode === "hang") {
          return new Promise((_r, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason))
          );
        }
        if (config.mode === "throw") throw new Error("boom");
        if (config.mode === "ignore_abort") return new Promise<void>(() => {});
        if (config.mode === "many_errors") {
          for (let i = 0; i < 500; i++) {
            acc.addError(new Error(`garbage line ${i + 1}`), `line ${i + 1}`);
          }
          return Promise.resolve();
        }
        acc.add({ name: "value", value: config.value, attributes: { k: "v" } });
        if (config.mode === "partial") acc.addError(new Error("second query failed"), "q2");
        return Promise.resolve();
      },
      ...(config.mode === "details"
        ? {
          details: () => {
            if (stops > 0) throw new Error("pool gone, password hunter2-secret");
            return { pool_size: 3, waiting: 0 };
          },
        }
        : {}),
      stop() {
        stops++;
        return config.mode === "stuck_stop" ? new Promise<void>(() => {}) : Promise.resolve();
      },
    };
    return src;
  },
};

function makeDoc(sources: unknown[], extra: Record<string, unknown> = {}): Document {
  return buildDocumentSchema([testKind as unknown as SourceKind]).parse({
    custom_metrics: {
      agent: { jitter: 0 },
      admin: { listen: "127.0.0.1:0" },
      exporters: [{ type: "prometheus", listen: "127.0.0.1:0" }],
      sources,
      ...extra,
    },
  });
}

function makeAgent(doc: Document, lines: string[] = [], clock: Clock = systemClock): Agent {
  const redactor = new Redactor();
  const logger: Logger = createLogger({ level: "debug", write: (l) => lines.push(l), redactor });
  return new Agent({
    config: doc,
    kinds: [testKind as unknown as SourceKind],
    platform,
    logger,
    clock,
    redactor,
  });
}

Deno.test("agent collects on schedule and serves samples with self-metrics", async () => {
  const agent = makeAgent(
    makeDoc([{ name: "a", type: "test", mode: "ok", value: 7, interval: "50ms" }]),
  );
  await agent.start();
  try {
    const url = agent.pipeline.endpoints[0].url;
    const body = await waitFor(async () => {
      const t = await (await fetch(url)).text();
      return t.includes("a_value") &&
          /sextant_source_collections_total\{[^}]*source="a"[^}]*\} [3-9]/.test(t)
        ? t
        : undefined;
    }, "three collections");
    assert(/^a_value\{[^}]*k="v"[^}]*\} 7$/m.test(body), body);
    assert(body.includes("sextant_source_collection_duration"), body);
    const st = agent.status().sources[0];
    assertEquals([st.state, st.started], ["ok", true]);
    assert(st.collections >= 3);
  } finally {
    await agent.stop();
  }
});

Deno.test("agent times out a hanging source while the others keep their schedule", async () => {
  const agent = makeAgent(makeDoc([
    { name: "slow", type: "test", mode: "hang", interval: "200ms", timeout: "50ms" },
    { name: "fast", type: "test", mode: "ok", interval: "20ms" },
  ]));
  await agent.start();
  try {
    await waitFor(
      () => agent.status().sources.find((s) => s.name === "slow")!.timeouts >= 1,
      "a timeout",
    );
    const slow = agent.status().sources.find((s) => s.name === "slow")!;
    assertEquals(slow.state, "failed");
    assertEquals(slow.last_errors[0].message, 'collection of "slow" timed out after 50 ms');
    await waitFor(
      () => agent.status().sources.find((s) => s.name === "fast")!.collections >= 10,
      "fast source runs",
    );
  } finally {
    await agent.stop();
  }
});

Deno.test("agent retries a failed start on the next run and redacts the error", async () => {
  const lines: string[] = [];
  const agent = makeAgent(
    makeDoc([{ name: "db", type: "test", mode: "fail_start_once", interval: "30ms" }]),
    lines,
  );
  await agent.start();
  try {
    await waitFor(() => agent.status().sources[0].state === "ok", "recovery");
    const st = agent.status().sources[0];
    assert(st.failures >= 1);
    assert(lines.some((l) => l.includes("db down")), "start failure logged");
    assert(!lines.some((l) => l.includes("hunter2-secret")), "secret leaked into the log");
  } finally {
    await agent.stop();
  }
});

Deno.test("agent collectOnce reports partial failures and throwing sources", async () => {
  const agent = makeAgent(makeDoc([
    { name: "p", type: "test", mode: "partial" },
    { name: "t", type: "test", mode: "throw" },
    { name: "off", type: "test", mode: "ok", enabled: false },
  ]));
  assertEquals(agent.sourceNames, ["p", "t"]);
  const results = await agent.collectOnce();
  const p = results.find((r) => r.source === "p")!;
  assertEquals([p.samples.length, p.failed, p.errors[0].message, p.errors[0].item], [
    1,
    false,
    "second query failed",
    "q2",
  ]);
  const t = results.find((r) => r.source === "t")!;
  assertEquals([t.samples.length, t.failed, t.errors[0].message], [0, true, "boom"]);
  // collectOnce stops its sources afterwards.
  assertEquals(agent.status().sources.map((s) => [s.name, s.state, s.collections]), [[
    "p",
    "stopped",
    1,
  ], ["t", "stopped", 1]]);
  await agent.pipeline.stop();
});

Deno.test("agent start fails with ConnectError when the metrics port is taken", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (blocker.addr as Deno.NetAddr).port;
  try {
    const doc = makeDoc([{ name: "a", type: "test", mode: "ok" }], {
      exporters: [{ type: "prometheus", listen: `127.0.0.1:${port}` }],
    });
    const agent = makeAgent(doc);
    await assertRejects(() => agent.start(), ConnectError, `127.0.0.1:${port}`);
    await agent.stop();
  } finally {
    blocker.close();
  }
});

Deno.test("agent status ranks sources by time and flags overruns", async () => {
  // Fake time: durations, timeouts and ticks are exact, whatever the load on the machine.
  const clock = new FakeClock(1_000_000);
  const agent = makeAgent(
    makeDoc([
      { name: "stuck", type: "test", mode: "ignore_abort", interval: "1s", timeout: "500ms" },
      { name: "slow", type: "test", mode: "hang", interval: "1s", timeout: "800ms" },
      { name: "quick", type: "test", mode: "ok", interval: "1s" },
    ]),
    [],
    clock,
  );
  await agent.start();
  try {
    await clock.advance(2_000); // runs due at 0, 1000 and 2000
    const st = agent.status();
    assertEquals(st.sources.map((s) => [s.name, s.collections, s.overruns]), [
      ["stuck", 1, 2],
      ["slow", 2, 0], // the third run is still waiting for its 800 ms timeout
      ["quick", 3, 0],
    ]);
    const b = st.bottlenecks;
    assertEquals(b.map((x) => [x.source, x.avg_duration_ms]), [
      ["slow", 800],
      ["stuck", 500],
      ["quick", 0],
    ]);
    assertMatch(b[0].hint ?? "", /takes more than half of its interval/);
    assertMatch(b[1].hint ?? "", /^overran its 1000 ms interval 2 time\(s\)/);
    assertEquals(b[2].hint, undefined);
  } finally {
    const stopped = agent.stop();
    await clock.advance(10_000);
    await stopped;
    await agent.stop();
  }
  assertEquals(agent.ready, false);
  assertEquals(agent.status().sources.every((s) => s.state === "stopped"), true);
});

Deno.test("agent shutdown keeps to shutdown_timeout despite a stuck source and a silent OTLP receiver", async () => {
  // Accepts connections and never answers.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const c of silent) conns.push(c);
  })().catch(() => {});
  const port = (silent.addr as Deno.NetAddr).port;
  const doc = makeDoc(
    [
      { name: "stuck", type: "test", mode: "stuck_stop", interval: "20ms" },
      { name: "hang", type: "test", mode: "hang", interval: "5s", timeout: "5s" },
    ],
    {
      agent: { jitter: 0, shutdown_timeout: "1s" },
      exporters: [{
        type: "otlp",
        endpoint: `http://127.0.0.1:${port}/v1/metrics`,
        interval: "60s",
        timeout: "10s",
      }],
    },
  );
  const lines: string[] = [];
  const agent = makeAgent(doc, lines);
  await agent.start();
  await waitFor(
    () => agent.status().sources.find((s) => s.name === "stuck")!.collections >= 1,
    "a collection",
  );
  const t0 = performance.now();
  await agent.stop();
  const ms = performance.now() - t0;
  assert(ms >= 900 && ms < 1300, `shutdown took ${ms.toFixed(0)} ms, budget 1000`);
  assert(lines.some((l) => l.includes("shutdown budget used up")), lines.join("\n"));
  silent.close();
  for (const c of conns) c.close();
});

Deno.test("agent logs a few collection errors and counts the rest", async () => {
  const lines: string[] = [];
  const agent = makeAgent(makeDoc([{ name: "g", type: "test", mode: "many_errors" }]), lines);
  const [r] = await agent.collectOnce();
  await agent.pipeline.stop();
  assertEquals(r.errors.length, 101);
  assertEquals(r.errors[100].message, "... and 400 more error(s) in this collection");
  const errorLines = lines.filter((l) => /\] collection error /.test(l));
  assertEquals(errorLines.length, 5);
  assert(
    lines.some((l) => /more collection errors not logged count=495/.test(l)),
    lines.join("\n"),
  );
});

Deno.test("agent status carries a source's own details, and a redacted error when they throw", async () => {
  const agent = makeAgent(makeDoc([
    { name: "d", type: "test", mode: "details" },
    { name: "plain", type: "test", mode: "ok" },
  ]));
  const before = agent.status().sources;
  assertEquals(before[0].details, { pool_size: 3, waiting: 0 });
  assertEquals("details" in before[1], false);
  await agent.collectOnce(); // stops the sources: details now throw
  const after = agent.status().sources[0].details as { error: string };
  assertMatch(after.error, /^pool gone, password \*+|pool gone/);
  assert(!after.error.includes("hunter2-secret"), after.error);
  await agent.pipeline.stop();
});
