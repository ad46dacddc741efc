import { assert, assertEquals, assertMatch, waitFor } from "../../tests/assert.ts";
import { find, parsePromText } from "../../tests/support/prom_text.ts";
import { assertPromtoolClean } from "../../tests/support/promtool.ts";
import { createLogger, FakeClock, Redactor } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { builtinSourceKinds } from "../sources/mod.ts";
import { Agent } from "./agent.ts";
import { loadDocument } from "./load.ts";
import type { Document } from "./schema.ts";

const TEMP = Deno.makeTempDirSync({ prefix: "sextant-agg-test-" });

/** Validates `toml` through the real loader; returns the document or the error lines. */
async function load(toml: string) {
  const file = `${await Deno.makeTempDir({ dir: TEMP })}/sextant.toml`;
  await Deno.writeTextFile(file, toml);
  const r = await loadDocument([file], builtinSourceKinds, platform);
  return { ...r, messages: r.errors.map((e) => e.message.replace(`${file}:`, "")) };
}

/** A loopback HTTP server whose n-th response waits n % 7 ms, so response times vary. */
function server() {
  let n = 0;
  const s = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    const wait = n++ % 7;
    await new Promise((r) => setTimeout(r, wait));
    return new Response("ok");
  });
  return { url: `http://127.0.0.1:${s.addr.port}/health`, close: () => s.shutdown() };
}

function agentFor(doc: Document, clock = new FakeClock(0)) {
  const lines: string[] = [];
  const redactor = new Redactor();
  const agent = new Agent({
    config: doc,
    kinds: builtinSourceKinds,
    platform,
    logger: createLogger({ level: "debug", format: "json", write: (l) => lines.push(l), redactor }),
    clock,
    redactor,
  });
  return { agent, clock, lines };
}

const DESIGN_RULE = `
[[custom_metrics.aggregators]]
source = "api_health.response_time"
type = "percentile"
percentiles = [50, 95, 99]
window = "5m"
`;

Deno.test("agent aggregates the DESIGN.md example over a real http source with fake time", async (t) => {
  const srv = server();
  try {
    const { config, messages } = await load(`
[custom_metrics]
aggregation_window = "5m"
[custom_metrics.agent]
jitter = 0
[custom_metrics.admin]
enabled = false
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"

[[custom_metrics.sources]]
name = "api_health"
type = "http"
url = "${srv.url}"
interval = "30s"
${DESIGN_RULE}
[[custom_metrics.aggregators]]
source = "api_health.response_time"
type = "stats"
stats = ["count", "sum", "avg", "max"]
`);
    assertEquals(messages, []);
    const { agent, clock } = agentFor(config!);
    await agent.start();
    try {
      const seen: number[] = [];
      const collections = () => agent.status().sources[0].collections;
      // Ten collections at 0 s, 30 s, ..., 270 s: the window [0, 5m).
      for (let i = 0; i < 10; i++) {
        await clock.advance(i === 0 ? 0 : 30_000);
        await waitFor(() => collections() === i + 1, `collection ${i + 1}`);
        const text = parsePromText(await agent.pipeline.prometheusText());
        seen.push(find(text, "api_health_response_time")[0].value);
      }
      assertEquals(agent.aggregation.last, []); // the window is still open
      await clock.advance(30_000); // 300 s: the window closes (the 11th collection starts the next)
      await waitFor(() => collections() === 11, "collection 11");
      const body = await agent.pipeline.prometheusText();
      const text = parsePromText(body);
      const sorted = [...seen].sort((a, b) => a - b);
      for (const p of [50, 95, 99]) {
        const [got] = find(text, `api_health_response_time_p${p}`, { window: "5m" });
        const want = sorted[Math.floor((p / 100) * (sorted.length - 1))];
        assert(got, `p${p} missing:\n${body}`);
        assert(Math.abs(got.value - want) <= 0.01 * want, `p${p}: ${got.value} vs exact ${want}`);
      }
      // count and sum are gauges over the window: exported promtool-clean with a _value suffix.
      assertEquals(find(text, "api_health_response_time_count_value")[0].value, 10);
      const sum = find(text, "api_health_response_time_sum_value")[0].value;
      assert(Math.abs(sum - seen.reduce((a, b) => a + b, 0)) < 1e-6, `sum ${sum}`);
      assertEquals(text.types.get("api_health_response_time_count_value"), "gauge");
      assertMatch(
        body,
        /^sextant_aggregate_series\{[^}]*rule="api_health\.response_time:percentile"[^}]*\} 1$/m,
      );
      assertMatch(body, /^sextant_aggregate_bytes\{[^}]*\} \d+$/m);
      assertMatch(body, /^sextant_aggregate_evictions_total\{[^}]*\} 0$/m);
      const st = agent.status().aggregators;
      assertEquals(st.map((r) => [r.rule, r.series]), [
        ["api_health.response_time:percentile", 1],
        ["api_health.response_time:stats", 1],
      ]);
      await assertPromtoolClean(t, body);
    } finally {
      await agent.stop();
    }
  } finally {
    await srv.close();
  }
});

const SOURCE = `
[custom_metrics]
aggregation_window = "5m"

[[custom_metrics.sources]]
name = "api_health"
type = "http"
url = "http://127.0.0.1:9/health"
interval = "1m"
`;

Deno.test("agent validation reports bad percentiles and statistics with their key path", async () => {
  const { messages } = await load(`${SOURCE}
[[custom_metrics.aggregators]]
source = "api_health.response_time"
type = "percentile"
percentiles = [50, 100]

[[custom_metrics.aggregators]]
source = "api_health.up"
type = "stats"
stats = ["median"]
`);
  assertEquals(messages, [
    "14:20: custom_metrics.aggregators[0].percentiles[1]: expected a percentile below 100, found number 100",
    '19:10: custom_metrics.aggregators[1].stats[0]: expected one of "min", "max", "sum", "count", "avg", "stddev", "rate", "delta", found "median"',
  ]);
});

Deno.test("agent validation reports every rule that cannot work, with its key path", async () => {
  const { messages, warnings } = await load(`${SOURCE}
[[custom_metrics.aggregators]]
source = "api_health.response_time"
type = "stats"
stats = ["avg"]
window = "30s"

[[custom_metrics.aggregators]]
type = "derived"
name = "api.error_pct"
expression = "100 * api_health.errors / (api_health.requests"

[[custom_metrics.aggregators]]
source = "api_health.*"
type = "sma"
window = "5m"
slide = "7m"

[[custom_metrics.aggregators]]
source = "api_health.up"
type = "stats"
stats = ["sum"]
window = "10m"
slide = "3m"
group_by = ["host"]
drop_attributes = ["env"]

[[custom_metrics.aggregators]]
source = "api_health.up"
type = "percentile"
algorithm = "tdigest"
relative_accuracy = 0.02

[[custom_metrics.aggregators]]
source = "nowhere.metric"
type = "ewma"
alpha = 0.5
half_life = "1m"

[[custom_metrics.aggregators]]
source = "api_health.up"
type = "sma"
window = "10m"
panes = 7

[[custom_metrics.aggregators]]
source = "api_health.up"
type = "derived"
name = "x"
expression = "clamp(api_health.up, 0)"
`);
  assertEquals(messages.map((m) => m.replace(/^\d+:\d+: /, "")), [
    'custom_metrics.aggregators[0].window: window 30s is shorter than the interval 1m of source "api_health": most windows would hold no sample',
    'custom_metrics.aggregators[1].expression: cannot parse "100 * api_health.errors / (api_health.requests": at column 47: expected ")", found the end',
    "custom_metrics.aggregators[2].slide: slide 7m is longer than the window 5m",
    "custom_metrics.aggregators[3].slide: slide 3m does not divide the window 10m",
    "custom_metrics.aggregators[3].drop_attributes: set either group_by or drop_attributes, not both",
    'custom_metrics.aggregators[4].relative_accuracy: relative_accuracy applies to algorithm "ddsketch" only',
    "custom_metrics.aggregators[5].half_life: set either alpha or half_life, not both",
    "custom_metrics.aggregators[6].panes: 7 panes do not divide the window 10m into whole milliseconds",
    "custom_metrics.aggregators[7].source: a derived rule reads the metrics named in its expression; remove source",
    'custom_metrics.aggregators[7].expression: cannot parse "clamp(api_health.up, 0)": at column 1: clamp() takes 3 argument(s), found 2',
  ]);
  // Every error is located at its line.
  assert(messages.every((m) => /^\d+:\d+: /.test(m)), messages.join("\n"));
  assertEquals(warnings.map((w) => w.message.replace(/^.*?: custom/, "custom")), [
    'custom_metrics.aggregators[5].source: "nowhere.metric" matches no configured source (fine if a plugin emits it)',
  ]);
});

Deno.test("agent validation warns about a derived input its source can never emit", async () => {
  const { messages, warnings } = await load(`${SOURCE}
json_metrics = [{ name = "queue.depth", path = "$.queue" }]

[[custom_metrics.sources]]
name = "pg"
type = "database"
connection_string = "postgresql://postgres@127.0.0.1/test"
queries = [
  { name = "a", sql = "SELECT 5" },
  { name = "orders", sql = "SELECT region, n, total FROM t", label_columns = ["region"], value_columns = ["n", "Total"] },
  { name = "status", sql = "SHOW STATUS", metric_column = "Variable_name" },
]

[[custom_metrics.sources]]
name = "host"
type = "system"
collect = ["load"]

[[custom_metrics.sources]]
name = "script"
type = "command"
command = ["sh", "-c", "echo 1"]

[[custom_metrics.aggregators]]
type = "derived"
name = "fine"
expression = "pg.a + pg.orders.n + pg.orders.total + pg.status.Uptime + api_health.queue.depth + api_health.up + host.load.1m + script.anything"

[[custom_metrics.aggregators]]
type = "derived"
name = "miss"
expression = "pg.a + pg.nosuch + pg.orders + api_health.latency + host.memory.used"
`);
  assertEquals(messages, []);
  assertEquals(warnings.map((w) => w.message.replace(/^.*?: custom/, "custom")), [
    'custom_metrics.aggregators[1].expression: "pg.nosuch": source "pg" never emits it (it emits pg.a, pg.orders.n, pg.orders.Total, pg.status.*): the rule will report it missing',
    'custom_metrics.aggregators[1].expression: "pg.orders": source "pg" never emits it (it emits pg.a, pg.orders.n, pg.orders.Total, pg.status.*): the rule will report it missing',
    'custom_metrics.aggregators[1].expression: "api_health.latency": source "api_health" never emits it (it emits api_health.response_time, api_health.status_code, api_health.up, api_health.queue.depth): the rule will report it missing',
    'custom_metrics.aggregators[1].expression: "host.memory.used": source "host" never emits it (it emits host.load.1m, host.load.5m, host.load.15m): the rule will report it missing',
  ]);
});

Deno.test("agent validation reports an expression nested too deep as a config error", async () => {
  const { messages } = await load(`${SOURCE}
[[custom_metrics.aggregators]]
type = "derived"
name = "deep"
expression = "${"(".repeat(20_000)}1${")".repeat(20_000)}"
`);
  assertEquals(messages.map((m) => m.replace(/^\d+:\d+: /, "")), [
    `custom_metrics.aggregators[0].expression: cannot parse "${
      "(".repeat(80)
    }...": at column 201: nested deeper than 200 levels; split the expression into rules`,
  ]);
});

Deno.test("agent slides windows on its clock between collections and logs rule errors once", async () => {
  const srv = server();
  try {
    const { config, messages } = await load(`
[custom_metrics.agent]
jitter = 0
[custom_metrics.admin]
enabled = false
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"

[[custom_metrics.sources]]
name = "api_health"
type = "http"
url = "${srv.url}"
interval = "2m"

[[custom_metrics.aggregators]]
source = "api_health.up"
type = "stats"
stats = ["count"]
window = "5m"
slide = "30s"

[[custom_metrics.aggregators]]
type = "derived"
name = "api_health.broken"
expression = "api_health.up / (api_health.up - 1)"
`);
    assertEquals(messages, []);
    const { agent, clock, lines } = agentFor(config!);
    await agent.start();
    try {
      const count = () =>
        agent.aggregation.last.find((s) => s.name === "api_health.up.count")?.value;
      const collected = (n: number) =>
        waitFor(() => agent.status().sources[0].collections === n, `collection ${n}`);
      await clock.advance(0);
      await collected(1); // t = 0
      assertEquals(count(), undefined); // the first pane is still open
      await clock.advance(30_000); // no collection: the timer closes the pane
      assertEquals(count(), 1);
      await clock.advance(90_000);
      await collected(2); // t = 120 s
      await clock.advance(120_000);
      await collected(3); // t = 240 s
      await clock.advance(60_000); // 300 s: window [0 s, 300 s)
      assertEquals(count(), 3);
      await clock.advance(30_000); // 330 s: window [30 s, 330 s): the sample at 0 s expired
      assertEquals(count(), 2);
      assertEquals(agent.status().sources[0].collections, 3);
      // up = 1 every time: division by zero, reported once while it persists, never exported.
      const failed = lines.filter((l) => l.includes("aggregation rule failed"));
      assertEquals(failed.length, 1, failed.join("\n"));
      assertMatch(failed[0], /"rule":"api_health\.broken".*division by zero at column 15/);
      const text = await agent.pipeline.prometheusText();
      assert(!text.includes("api_health_broken"), text);
      assertMatch(
        text,
        /^sextant_aggregate_errors_total\{[^}]*rule="api_health\.broken"[^}]*\} [1-9]/m,
      );
      // /status shows the rule's current error.
      const broken = agent.status().aggregators.find((r) => r.rule === "api_health.broken");
      assertEquals(broken?.error, "division by zero at column 15 for {}");
    } finally {
      await agent.stop();
    }
  } finally {
    await srv.close();
  }
});

Deno.test("agent aggregation reconfigure keeps unchanged rules' windows", async () => {
  const { config } = await load(`${SOURCE}
[[custom_metrics.aggregators]]
source = "api_health.up"
type = "stats"
stats = ["count"]
window = "5m"
`);
  const { agent } = agentFor(config!);
  const up = (t: number) => ({
    name: "api_health.up",
    value: 1,
    type: "gauge" as const,
    attributes: {},
    timestamp: t,
  });
  agent.aggregation.engine.ingest([up(1000), up(2000)]);
  const r = agent.aggregation.reconfigure([
    ...config!.custom_metrics.aggregators,
    { source: "api_health.up", type: "sma", enabled: true },
  ], config!.custom_metrics.aggregation_window);
  assertEquals(r, {
    kept: ["api_health.up:stats"],
    added: ["api_health.up:sma"],
    dropped: [],
  });
  const out = agent.aggregation.engine.read(300_000).samples;
  assertEquals(out.map((s) => [s.name, s.value]), [["api_health.up.count", 2]]);
  await agent.stop();
});

Deno.test("agent writes aggregates to the pipeline only when they changed, not after every collection", async () => {
  const srv = server();
  try {
    const { config, messages } = await load(`
[custom_metrics.agent]
jitter = 0
[custom_metrics.admin]
enabled = false
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"

[[custom_metrics.sources]]
name = "api_health"
type = "http"
url = "${srv.url}"
interval = "10s"

[[custom_metrics.aggregators]]
source = "api_health.up"
type = "stats"
stats = ["count"]
window = "1m"
`);
    assertEquals(messages, []);
    const { agent, clock } = agentFor(config!);
    await agent.start();
    try {
      const collected = (n: number) =>
        waitFor(() => agent.status().sources[0].collections === n, `collection ${n}`);
      await clock.advance(0);
      await collected(1); // t = 0: nothing closed yet
      for (let n = 2; n <= 6; n++) {
        await clock.advance(10_000);
        await collected(n); // t = 50 s at most: still inside the first window
      }
      const beforeClose = agent.aggregation.writes;
      await clock.advance(10_000); // t = 60 s: the window closes, then a collection
      await collected(7);
      const afterClose = agent.aggregation.writes;
      assertEquals(afterClose, beforeClose + 1, "one write for the closed window");
      for (let n = 8; n <= 10; n++) {
        await clock.advance(10_000);
        await collected(n);
      }
      assertEquals(agent.aggregation.writes, afterClose, "no rewrite of unchanged aggregates");
      const text = await agent.pipeline.prometheusText();
      assertMatch(text, /^api_health_up_count_value\{[^}]*window="1m"[^}]*\} 6$/m);
    } finally {
      await agent.stop();
    }
  } finally {
    await srv.close();
  }
});
