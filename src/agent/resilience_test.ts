/** The agent's resilience wiring on fake time: breaker, degradation, series caps, memory limits. */
import { z } from "zod";
import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import {
  createLogger,
  FakeClock,
  type Platform,
  Redactor,
  type Source,
  type SourceKind,
} from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { Agent } from "./agent.ts";
import { buildDocumentSchema } from "./schema.ts";

/** Behaviour per source name, changed by the tests as they go. */
const behaviour = new Map<
  string,
  { fail: boolean; value: number; series: number; calls: number }
>();

const flakyKind: SourceKind<{ key: string }> = {
  type: "flaky",
  description: "test source driven by the behaviour map",
  fields: { key: z.string() },
  create(config) {
    const src: Source = {
      name: config.name,
      type: "flaky",
      start: () => Promise.resolve(),
      collect(acc) {
        const b = behaviour.get(config.key)!;
        b.calls++;
        if (b.fail) return Promise.reject(new Error("target down, password hunter2-secret"));
        for (let i = 0; i < b.series; i++) {
          acc.add({ name: "v", value: b.value, attributes: b.series > 1 ? { i: String(i) } : {} });
        }
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    };
    return src;
  },
  secrets: () => ["hunter2-secret"],
};

function setup(
  sources: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
  memory?: { rss: number },
) {
  const key = crypto.randomUUID();
  for (const s of sources) {
    behaviour.set(`${key}-${s.name}`, { fail: false, value: 5, series: 1, calls: 0 });
  }
  const doc = buildDocumentSchema([flakyKind as unknown as SourceKind]).parse({
    custom_metrics: {
      ...extra,
      agent: { jitter: 0, ...(extra.agent as object ?? {}) },
      sources: sources.map((s) => ({ type: "flaky", key: `${key}-${s.name}`, ...s })),
    },
  });
  const clock = new FakeClock(1_000_000);
  const lines: string[] = [];
  const redactor = new Redactor();
  const plat: Platform = memory
    ? Object.assign(Object.create(platform), {
      memoryUsage: () => ({ rss: memory.rss, heapUsed: 1, heapTotal: 1, external: 0 }),
    })
    : platform;
  const agent = new Agent({
    config: doc,
    kinds: [flakyKind as unknown as SourceKind],
    platform: plat,
    logger: createLogger({ level: "debug", write: (l) => lines.push(l), redactor }),
    clock,
    redactor,
    exporters: [],
  });
  const b = (name: string) => behaviour.get(`${key}-${name}`)!;
  return { agent, clock, lines, b };
}

Deno.test("agent breaker stops calling a failing source while open and closes after a good probe", async () => {
  const { agent, clock, lines, b } = setup([{
    name: "db",
    interval: "100ms",
    breaker: { failure_threshold: 2, cooldown: "1s", jitter: 0 },
  }]);
  b("db").fail = true;
  await agent.start();
  try {
    await clock.advance(200); // runs at 0 (start), 100, 200
    assertEquals(b("db").calls, 2, "opened after two failures");
    await clock.advance(800);
    assertEquals(b("db").calls, 2, "not called at all while open");
    let st = agent.status().sources[0];
    assertEquals(st.breaker?.state, "open");
    assert(st.skipped_open >= 7, `skipped ${st.skipped_open}`);
    assertMatch(agent.status().bottlenecks[0].hints.join(), /circuit breaker open/);
    const text = await agent.pipeline.prometheusText();
    assertMatch(text, /^sextant_source_breaker_state\{source="db",type="flaky"\} 2$/m);

    b("db").fail = false;
    await clock.advance(100); // cooldown ends at 1100: the probe succeeds
    assertEquals(b("db").calls, 3);
    st = agent.status().sources[0];
    assertEquals(st.breaker?.state, "closed");
    assertEquals(st.breaker?.transitions, 3);
    await clock.advance(1000);
    assertMatch(
      await agent.pipeline.prometheusText(),
      /^sextant_source_breaker_transitions_total\{source="db",type="flaky"\} 3$/m,
    );
    const transitions = lines.filter((l) => l.includes("circuit breaker"));
    assertEquals(transitions.length, 3, transitions.join("\n"));
    assertMatch(
      transitions[0],
      /WARN .*circuit breaker opened from=closed to=open reason=failures transition=1 cooldown_ms=1000/,
    );
    assertMatch(transitions[2], /INFO .*circuit breaker closed from=half_open to=closed/);
    assert(!lines.some((l) => l.includes("hunter2-secret")), "a secret reached the log");
  } finally {
    await agent.stop();
  }
});

Deno.test("agent on_failure last_value re-exports the last good values as stale until stale_after", async () => {
  const { agent, clock, b } = setup([{
    name: "api",
    interval: "100ms",
    on_failure: "last_value",
    stale_after: "250ms",
    breaker: { enabled: false },
  }]);
  await agent.start();
  try {
    await clock.advance(0);
    assertMatch(await agent.pipeline.prometheusText(), /^api_v 5$/m);
    b("api").fail = true;
    await clock.advance(100);
    assertMatch(await agent.pipeline.prometheusText(), /^api_v\{stale="true"\} 5$/m);
    assertEquals(agent.status().sources[0].serving, "stale");
    await clock.advance(200); // 300 ms after the last good run
    const text = await agent.pipeline.prometheusText();
    assert(!/^api_v/m.test(text), text);
    assertEquals(agent.status().sources[0].serving, "none");
  } finally {
    await agent.stop();
  }
});

Deno.test("agent on_failure drop exports nothing for a failed source", async () => {
  const { agent, clock, b } = setup([{ name: "api", interval: "100ms" }]);
  await agent.start();
  try {
    await clock.advance(0);
    assertMatch(await agent.pipeline.prometheusText(), /^api_v 5$/m);
    b("api").fail = true;
    await clock.advance(100);
    assert(!/^api_v/m.test(await agent.pipeline.prometheusText()));
  } finally {
    await agent.stop();
  }
});

Deno.test("agent fallback serves another source's samples under this source's names while open", async () => {
  const { agent, clock, b } = setup([
    {
      name: "primary",
      interval: "100ms",
      fallback: "replica",
      breaker: { failure_threshold: 1, jitter: 0 },
    },
    { name: "replica", interval: "100ms" },
  ]);
  b("replica").value = 9;
  await agent.start();
  try {
    await clock.advance(0);
    assertMatch(await agent.pipeline.prometheusText(), /^primary_v 5$/m);
    b("primary").fail = true;
    await clock.advance(100);
    const text = await agent.pipeline.prometheusText();
    assertMatch(text, /^primary_v\{fallback="replica"\} 9$/m);
    assertMatch(text, /^replica_v 9$/m);
    assertEquals(agent.status().sources[0].serving, "fallback:replica");
  } finally {
    await agent.stop();
  }
});

Deno.test("agent drops and counts series over max_series", async () => {
  const { agent, clock, b } = setup([{ name: "bomb", interval: "100ms", max_series: 50 }]);
  b("bomb").series = 5000;
  await agent.start();
  try {
    await clock.advance(1000);
    const st = agent.status().sources[0];
    assertEquals(b("bomb").calls, 11);
    assertEquals(st.dropped_samples, 11 * 4950);
    assertEquals(st.series, 50);
    assertEquals(agent.pipeline.inspect().liveSeries > 50, true); // self-metrics are series too
    assertMatch(
      await agent.pipeline.prometheusText(),
      /^sextant_source_dropped_samples_total\{source="bomb",type="flaky"\} 54450$/m,
    );
  } finally {
    await agent.stop();
  }
});

Deno.test("agent refuses new series above the soft memory limit and drops the largest state above the hard one", async () => {
  const mem = { rss: 100 };
  const { agent, clock, b, lines } = setup(
    [
      { name: "big", interval: "100ms" },
      { name: "small", interval: "100ms" },
    ],
    { limits: { soft_memory: 1000, hard_memory: 2000, check_interval: "1s" } },
    mem,
  );
  b("big").series = 10;
  await agent.start();
  try {
    await clock.advance(0);
    assertEquals(agent.status().sources[0].series, 10);
    mem.rss = 1500;
    await clock.advance(1000);
    b("big").series = 20; // ten new series arrive under pressure
    await clock.advance(100);
    let st = agent.status();
    assertEquals(st.process.memory.level, "soft");
    assertEquals(st.sources[0].series, 10, "new series refused");
    assert(st.sources[0].dropped_samples >= 10);
    assert(st.hints.some((h) => h.includes("soft limit")), st.hints.join());

    mem.rss = 2500;
    await clock.advance(1000);
    st = agent.status();
    assertEquals(st.process.memory.level, "hard");
    assert(lines.some((l) => /ERROR .*dropped the largest state source=big series=10/.test(l)));

    mem.rss = 100;
    await clock.advance(1000);
    assertEquals(agent.status().process.memory.level, "ok");
    await clock.advance(100);
    assertEquals(agent.status().sources[0].series, 20, "new series accepted again");
  } finally {
    await agent.stop();
  }
});

Deno.test("agent status reports event-loop lag when timers fire late", async () => {
  const { agent, clock } = setup([{ name: "a", interval: "1s" }]);
  await agent.start();
  try {
    await clock.advance(500);
    clock.jump(800); // a blocked loop: the probe due at 1000 fires at 1300
    await clock.advance(0);
    const p = agent.status().process;
    assertEquals(p.event_loop_lag_ms.max, 300);
    assert(p.event_loop_busy > 0);
  } finally {
    await agent.stop();
  }
});

Deno.test("agent reports pool waiters from a source's details in the bottlenecks", async () => {
  const restartsKind: SourceKind = {
    type: "restarting",
    description: "reports restarts in details",
    fields: {},
    create: (config) => ({
      name: config.name,
      type: "restarting",
      start: () => Promise.resolve(),
      collect: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      details: () => ({ restarts: 4, pool: { size: 1, waiting: 2 } }),
    }),
  };
  const doc = buildDocumentSchema([restartsKind]).parse({
    custom_metrics: { agent: { jitter: 0 }, sources: [{ name: "p", type: "restarting" }] },
  });
  const clock = new FakeClock(0);
  const agent = new Agent({
    config: doc,
    kinds: [restartsKind],
    platform,
    logger: createLogger({ level: "error", write: () => {} }),
    clock,
    redactor: new Redactor(),
    exporters: [],
  });
  await agent.start();
  try {
    await clock.advance(0);
    assertEquals(agent.status().bottlenecks[0].pool_waiting, 2);
  } finally {
    await agent.stop();
  }
});

Deno.test("agent drops the largest aggregation state above the hard memory limit, and reports it", async () => {
  const mem = { rss: 100 };
  const { agent, clock, b, lines } = setup([{
    name: "api",
    interval: "100ms",
    breaker: { enabled: false },
  }], {
    limits: { hard_memory: 1000, check_interval: "1s" },
    aggregators: [
      { source: "api.v", type: "stats", stats: ["count"], window: "1h" },
      { source: "api.v", type: "stats", stats: ["max", "min"], window: "1h" },
    ],
  }, mem);
  b("api").series = 20;
  await agent.start();
  try {
    await clock.advance(500);
    const before = agent.status().aggregators;
    assertEquals(before.map((r) => r.series), [20, 20]);
    mem.rss = 5000;
    b("api").fail = true; // nothing refills the windows after the drop
    await clock.advance(500); // the check at 1000
    const after = agent.status().aggregators;
    const dropped = after.findIndex((r) => r.series === 0);
    assert(dropped >= 0, JSON.stringify(after));
    assertEquals(after.filter((r) => r.series === 20).length, 1, "only the largest is dropped");
    assert(
      lines.some((l) => /ERROR .*dropped the largest aggregation state rule=\S+ series=20/.test(l)),
      lines.join("\n"),
    );
    mem.rss = 100;
    b("api").fail = false;
    await clock.advance(1000);
    assertEquals(agent.status().aggregators[dropped].series, 20, "the rule fills again");
  } finally {
    await agent.stop();
  }
});
