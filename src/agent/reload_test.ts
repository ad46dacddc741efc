import { z } from "zod";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  waitFor,
} from "../../tests/assert.ts";
import {
  type Accumulator,
  type Clock,
  ConfigError,
  createLogger,
  FakeClock,
  Redactor,
  type SourceKind,
  systemClock,
} from "../core/mod.ts";
import type { LoadResult } from "../config/mod.ts";
import { platform } from "../runtime/mod.ts";
import { Agent } from "./agent.ts";
import { Reloader } from "./reload.ts";
import { diffByKey, stableJson } from "./reload_state.ts";
import { buildDocumentSchema, type Document } from "./schema.ts";

/** Collection times and instances per source name, across rebuilds. */
const log = {
  times: new Map<string, number[]>(),
  created: new Map<string, number>(),
  stopped: new Map<string, number>(),
};

function countingKind(clock: Clock): SourceKind {
  return {
    type: "count",
    description: "counts its collections",
    fields: { value: z.number().default(1) },
    create(config: { name: string; value: number }) {
      log.created.set(config.name, (log.created.get(config.name) ?? 0) + 1);
      return {
        name: config.name,
        type: "count",
        start: () => Promise.resolve(),
        collect(acc: Accumulator) {
          const list = log.times.get(config.name) ?? [];
          list.push(clock.monotonic());
          log.times.set(config.name, list);
          acc.add({ name: "value", value: config.value });
          return Promise.resolve();
        },
        stop() {
          log.stopped.set(config.name, (log.stopped.get(config.name) ?? 0) + 1);
          return Promise.resolve();
        },
      };
    },
  } as unknown as SourceKind;
}

function doc(kind: SourceKind, sources: unknown[], extra: Record<string, unknown> = {}): Document {
  return buildDocumentSchema([kind]).parse({
    custom_metrics: {
      agent: { jitter: 0 },
      exporters: [{ type: "prometheus", listen: "127.0.0.1:0" }],
      sources,
      ...extra,
    },
  });
}

function agentFor(config: Document, kind: SourceKind, clock: Clock, lines: string[] = []) {
  const redactor = new Redactor();
  const logger = createLogger({ level: "debug", write: (l) => lines.push(l), redactor });
  const agent = new Agent({ config, kinds: [kind], platform, logger, clock, redactor });
  return { agent, logger, redactor };
}

const src = (name: string, value = 1, interval = "1s") => ({
  name,
  type: "count",
  value,
  interval,
});

Deno.test("reload keeps unchanged sources on their schedule and rebuilds only what changed", async () => {
  log.times.clear();
  log.created.clear();
  log.stopped.clear();
  const clock = new FakeClock(0);
  const kind = countingKind(clock);
  const { agent } = agentFor(doc(kind, [src("a"), src("b"), src("c")]), kind, clock);
  await agent.start();
  try {
    await clock.advance(5000);
    const changes = await agent.apply({
      config: doc(kind, [src("a"), src("b", 2), src("d")]),
    });
    assertEquals(changes, {
      added: ["d"],
      changed: ["b"],
      removed: ["c"],
      unchanged: ["a"],
      exporters: "kept",
    });
    await clock.advance(5000);
    const seconds = (name: string) => log.times.get(name)!.map((t) => t / 1000);
    // Not one missed or late collection of the unchanged source, and the same source object.
    assertEquals(seconds("a"), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assertEquals([log.created.get("a"), log.stopped.get("a")], [1, undefined]);
    assertEquals([log.created.get("b"), log.stopped.get("b")], [2, 1]);
    assertEquals(log.stopped.get("c"), 1);
    assertEquals(seconds("c"), [0, 1, 2, 3, 4, 5]);
    assertEquals(seconds("d"), [5, 6, 7, 8, 9, 10]);
    const status = agent.status().sources.map((s) => [s.name, s.collections]);
    assertEquals(status, [["a", 11], ["b", 6], ["d", 6]]);
    const text = await agent.pipeline.prometheusText();
    assert(/^b_value 2$/m.test(text), text);
    assert(!text.includes("c_value"), "a removed source's series must go");
    assert(text.includes("d_value 1"), text);
  } finally {
    await agent.stop();
  }
});

Deno.test("reload rebuilds the exporters when they change and replays the last samples", async () => {
  const kind = countingKind(systemClock);
  const { agent } = agentFor(doc(kind, [src("keep", 5, "50ms")]), kind, systemClock);
  await agent.start();
  try {
    const before = agent.pipeline.endpoints[0].url;
    await waitFor(
      async () => (await (await fetch(before)).text()).includes("keep_value 5"),
      "first",
    );
    const changes = await agent.apply({
      config: doc(kind, [src("keep", 5, "50ms")], {
        exporters: [{ type: "prometheus", listen: "127.0.0.1:0", path: "/m2" }],
      }),
    });
    assertEquals([changes.exporters, changes.unchanged], ["rebuilt", ["keep"]]);
    const after = agent.pipeline.endpoints[0].url;
    assert(after.endsWith("/m2"), after);
    // The replayed batch is there at once, before the next collection.
    assertStringIncludes(await (await fetch(after)).text(), "keep_value 5");
    const old = await fetch(before).then((r) => r.status, () => "closed");
    assert(old === "closed" || old === 404, `old endpoint still serving: ${old}`);
  } finally {
    await agent.stop();
  }
});

Deno.test("reload keeps the running exporters when the new ones cannot bind", async () => {
  const kind = countingKind(systemClock);
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  const { agent } = agentFor(doc(kind, [src("keep", 5, "50ms")]), kind, systemClock);
  await agent.start();
  try {
    let error: unknown;
    try {
      await agent.apply({
        config: doc(kind, [src("keep", 6, "50ms")], {
          exporters: [{ type: "prometheus", listen: `127.0.0.1:${taken}` }],
        }),
      });
    } catch (err) {
      error = err;
    }
    assertStringIncludes(String(error), `127.0.0.1:${taken}`);
    const url = agent.pipeline.endpoints[0].url;
    await waitFor(
      async () => (await (await fetch(url)).text()).includes("keep_value 5"),
      "still 5",
    );
    assertEquals(agent.status().sources[0].name, "keep");
  } finally {
    blocker.close();
    await agent.stop();
  }
});

function loaded(config: Document | undefined, errors: string[] = []): LoadResult<Document> {
  return {
    ok: errors.length === 0,
    config,
    errors: errors.map((m) => new ConfigError({ file: "a.toml", line: 3, col: 1, path: "x" }, m)),
    warnings: [],
    files: ["a.toml"],
    watch: { files: [], dirs: [] },
    secrets: [],
    raw: {},
    locate: () => ({ file: "a.toml", line: 1, col: 1, path: "" }),
    baseDirOf: () => "/",
  };
}

Deno.test("Reloader keeps the running config on errors, counts and shows every attempt", async () => {
  const kind = countingKind(systemClock);
  const first = doc(kind, [src("keep", 5, "30ms")]);
  const lines: string[] = [];
  const { agent, logger, redactor } = agentFor(first, kind, systemClock, lines);
  let next: LoadResult<Document> = loaded(undefined, ["bad interval"]);
  const reloader = new Reloader({
    agent,
    initial: first,
    load: () => Promise.resolve(next),
    logger,
    clock: systemClock,
    redactor,
  });
  await agent.start();
  try {
    const bad = await reloader.reload("http");
    assertEquals([bad.ok, bad.errors], [false, ["a.toml:3:1: x: bad interval"]]);
    const st = agent.status().config;
    assertEquals(st.reloads, { success: 0, failure: 1 });
    assertEquals(st.last_reload!.errors, ["a.toml:3:1: x: bad interval"]);
    assertEquals([st.last_reload!.trigger, st.last_reload!.result], ["http", "failure"]);
    assert(lines.some((l) => l.includes("a.toml:3:1: x: bad interval")), lines.join("\n"));

    next = loaded(doc(kind, [src("keep", 5, "30ms"), src("new", 1, "30ms")]));
    const good = await reloader.reload("file");
    assert(good.ok, good.errors.join());
    assertEquals(good.changes!.added, ["new"]);
    assertEquals(agent.status().config.reloads, { success: 1, failure: 1 });
    const url = agent.pipeline.endpoints[0].url;
    const text = await waitFor(async () => {
      const t = await (await fetch(url)).text();
      return t.includes("new_value") &&
          t.includes('sextant_config_reload_total{result="failure"} 1')
        ? t
        : undefined;
    }, "the new source and the reload counters");
    assertStringIncludes(text, 'sextant_config_reload_total{result="success"} 1');
  } finally {
    await agent.stop();
  }
});

Deno.test("Reloader folds requests that arrive during a reload into one more reload", async () => {
  const kind = countingKind(systemClock);
  const first = doc(kind, [src("keep")]);
  const { agent, logger, redactor } = agentFor(first, kind, systemClock);
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const reloader = new Reloader({
    agent,
    initial: first,
    load: async () => {
      loads++;
      await gate;
      return loaded(first);
    },
    logger,
    clock: systemClock,
    redactor,
  });
  const results = [reloader.reload("a"), reloader.reload("b"), reloader.reload("c")];
  release();
  const all = await Promise.all(results);
  assertEquals(all.map((r) => r.ok), [true, true, true]);
  assertEquals(loads, 2);
  assertEquals(agent.status().config.reloads, { success: 2, failure: 0 });
  await agent.pipeline.stop();
});

Deno.test("Reloader reports a loader that throws and a source that cannot be built, changing nothing", async () => {
  const base = countingKind(systemClock);
  const kind = {
    ...base,
    create(config: { name: string; value: number }, deps: never) {
      if (config.value === 666) {
        throw new TypeError("Cannot create the source as 'value' is cursed");
      }
      return base.create(config as never, deps);
    },
  } as unknown as SourceKind;
  const first = doc(kind, [src("keep")]);
  const lines: string[] = [];
  const { agent, logger, redactor } = agentFor(first, kind, systemClock, lines);
  const loads: (() => Promise<LoadResult<Document>>)[] = [
    () => Promise.reject(new Error("disk on fire")),
    () => Promise.resolve(loaded(doc(kind, [src("keep"), src("cursed", 666)]))),
    () => Promise.resolve(loaded(doc(kind, [src("keep")], { log: { level: "debug" } }))),
  ];
  const reloader = new Reloader({
    agent,
    initial: first,
    load: () => loads.shift()!(),
    logger,
    clock: systemClock,
    redactor,
  });
  const thrown = await reloader.reload("signal");
  assertEquals(thrown.errors, ["cannot load: disk on fire"]);
  const cursed = await reloader.reload("signal");
  assertEquals(cursed.errors, ["Cannot create the source as 'value' is cursed"]);
  assertEquals(agent.status().sources.map((s) => s.name), ["keep"]);
  const logChange = await reloader.reload("signal");
  assert(logChange.ok);
  assertEquals(logChange.changes!.restart_required, ["custom_metrics.log"]);
  assert(lines.some((l) => l.includes("some settings change only at restart")), lines.join("\n"));
  await agent.pipeline.stop();
});

Deno.test("agent apply refuses to reload while stopping", async () => {
  const kind = countingKind(systemClock);
  const first = doc(kind, [src("keep")]);
  const { agent } = agentFor(first, kind, systemClock);
  await agent.start();
  const stopping = agent.stop();
  let error: unknown;
  try {
    await agent.apply({ config: first });
  } catch (err) {
    error = err;
  }
  await stopping;
  assert(error instanceof Error);
  assertEquals(error.message, "Cannot reload as the agent is stopping");
});

Deno.test("diffByKey sorts components into added, changed, removed and unchanged", () => {
  assertEquals(
    diffByKey(
      new Map([["a", "1"], ["b", "1"], ["gone", "1"]]),
      new Map([["a", "1"], ["b", "2"], ["c", "1"]]),
    ),
    { added: ["c"], changed: ["b"], removed: ["gone"], unchanged: ["a"] },
  );
  assertEquals(
    stableJson({ b: 1, a: { d: [1, { f: 1, e: 2 }], c: 3 } }),
    stableJson({
      a: { c: 3, d: [1, { e: 2, f: 1 }] },
      b: 1,
    }),
  );
});

Deno.test("reload keeps the windows of unchanged aggregation rules and restarts changed ones", async () => {
  log.times.clear();
  const clock = new FakeClock(0);
  const kind = countingKind(clock);
  const rules = (smaWindow: string) => ({
    aggregators: [
      { source: "a.value", type: "stats", stats: ["count"], window: "10s" },
      { source: "a.value", type: "sma", window: smaWindow },
    ],
  });
  const { agent } = agentFor(doc(kind, [src("a")], rules("10s")), kind, clock);
  await agent.start();
  try {
    await clock.advance(4500); // collections at 0..4 s
    const changes = await agent.apply({
      config: doc(kind, [src("a"), src("b")], rules("20s")),
    });
    assertEquals(changes.unchanged, ["a"]);
    assertEquals(changes.added, ["b"]);
    assertEquals(changes.aggregators, {
      kept: ["a.value:stats"],
      added: ["a.value:sma"],
      dropped: ["a.value:sma"],
    });
    await clock.advance(5600); // the 0–10 s window closes at 10 s
    const count = agent.aggregation.last.find((s) => s.name === "a.value.count");
    // All ten collections of the window, five of them from before the reload.
    assertEquals(count?.value, 10);
    // The aggregates follow the pipeline, which a reload may have replaced.
    const text = await agent.pipeline.prometheusText();
    assertStringIncludes(text, 'a_value_count_value{window="10s"} 10');
  } finally {
    await agent.stop();
  }
});

Deno.test("reload sends aggregates to a rebuilt pipeline and replays them there", async () => {
  const kind = countingKind(systemClock);
  const cfg = (value: number, path: string) =>
    doc(kind, [src("a", value, "50ms")], {
      aggregators: [{ source: "a.value", type: "stats", stats: ["max"], window: "1s" }],
      exporters: [{ type: "prometheus", listen: "127.0.0.1:0", path }],
    });
  const { agent } = agentFor(cfg(5, "/metrics"), kind, systemClock);
  await agent.start();
  try {
    await waitFor(
      () => agent.aggregation.last.some((s) => s.name === "a.value.max"),
      "a first aggregate",
    );
    const changes = await agent.apply({ config: cfg(9, "/m2") });
    assertEquals([changes.exporters, changes.changed], ["rebuilt", ["a"]]);
    const url = agent.pipeline.endpoints[0].url;
    assert(url.endsWith("/m2"), url);
    // Replayed at once...
    assertMatch(await (await fetch(url)).text(), /^a_value_max\{[^}]*\} 5$/m);
    // ...then kept current: the driver writes through the agent to the new pipeline.
    await waitFor(
      async () => /^a_value_max\{[^}]*\} 9$/m.test(await (await fetch(url)).text()),
      "the new maximum in the new pipeline",
    );
  } finally {
    await agent.stop();
  }
});
