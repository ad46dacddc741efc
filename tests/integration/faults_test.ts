/**
 * Fault injection with real parts: a real agent, real exporters on
 * loopback, a real OTLP receiver that refuses, hangs and recovers, a source
 * that hangs past its timeout, and a cardinality bomb. For each: the
 * collector stays up, the other sources keep their schedule, the breaker
 * opens and closes, and every dropped sample is counted.
 */
import { assert, assertEquals, assertMatch, waitFor } from "../assert.ts";
import { Agent, buildDocumentSchema } from "../../src/agent/mod.ts";
import { createLogger, Redactor, type SourceKind, systemClock } from "../../src/core/mod.ts";
import { platform } from "../../src/runtime/mod.ts";
import { startOtlpReceiver } from "../support/otlp_receiver.ts";
import { control, controlledKind } from "../support/test_kind.ts";

const kinds = [controlledKind as unknown as SourceKind];

function makeAgent(custom: Record<string, unknown>) {
  const lines: string[] = [];
  const redactor = new Redactor();
  const doc = buildDocumentSchema(kinds).parse({
    custom_metrics: { agent: { jitter: 0 }, admin: { enabled: false }, ...custom },
  });
  const agent = new Agent({
    config: doc,
    kinds,
    platform,
    logger: createLogger({ level: "debug", write: (l) => lines.push(l), redactor }),
    clock: systemClock,
    redactor,
  });
  return { agent, lines };
}

/** The largest gap between two calls of a source, in ms. */
function maxGap(times: number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap;
}

function source(name: string, key: string, extra: Record<string, unknown> = {}) {
  return { name, type: "controlled", key, interval: "100ms", ...extra };
}

Deno.test("faults: an OTLP receiver that refuses, hangs and recovers costs queued batches, all counted", async () => {
  const k = crypto.randomUUID();
  const receiver = startOtlpReceiver();
  await receiver.refuse();
  const { agent, lines } = makeAgent({
    exporters: [
      { type: "prometheus", listen: "127.0.0.1:0" },
      {
        type: "otlp",
        endpoint: receiver.url,
        interval: "200ms",
        timeout: "150ms",
        retry_buffer: 3,
        retry_initial: "50ms",
        retry_max: "100ms",
        headers: { authorization: "Bearer otlp-secret-token-42" },
      },
    ],
    sources: [source("good", `${k}-good`)],
  });
  const otlp = () => agent.status().exporters.find((e) => e.type === "otlp")!;
  await agent.start();
  try {
    // Refused: batches queue up; once the queue is full the oldest are dropped and counted.
    await waitFor(() => (otlp().queue?.dropped_batches ?? 0) >= 2, "batches dropped while refused");
    assertMatch(otlp().lastError ?? "", /refused|connect|fetch|ECONNREFUSED|error/i);
    assert(otlp().queue!.size <= 3, "the queue stays bounded");

    // Hanging: every attempt times out.
    receiver.recover();
    receiver.mode = "hang";
    await waitFor(() => /timed out/.test(otlp().lastError ?? ""), "a timed-out export");

    // Recovered: the queue drains.
    receiver.mode = "ok";
    await waitFor(
      () => otlp().queue!.size === 0 && otlp().queue!.retried > 0,
      "the queue to drain",
    );
    await waitFor(() => receiver.received.length > 0, "an export received");
    const q = otlp().queue!;
    assert(q.dropped_points >= q.dropped_batches, "drops are counted in data points too");
    const text = await agent.pipeline.prometheusText();
    await waitFor(async () => {
      const t = await agent.pipeline.prometheusText();
      const m = /^sextant_exporter_dropped_points_total\{exporter="otlp"\} (\d+)$/m.exec(t);
      return m && Number(m[1]) > 0 ? m : undefined;
    }, "the drop counter in the self-metrics");
    assert(text.length > 0);
    // The source kept its schedule through all of it.
    const c = control(`${k}-good`);
    assert(c.calls >= 5, `calls ${c.calls}`);
    assert(maxGap(c.callTimes) < 1000, `a 100 ms source waited ${maxGap(c.callTimes)} ms`);
    assert(lines.some((l) => l.includes("export retry queue full: oldest batch dropped")));
    assert(!lines.some((l) => l.includes("otlp-secret-token-42")), "a header value was logged");
  } finally {
    await agent.stop();
    await receiver.close();
  }
});

Deno.test("faults: a source hanging past its timeout opens its breaker, closes it on recovery, and never stalls the others", async () => {
  const k = crypto.randomUUID();
  control(`${k}-stuck`).mode = "hang";
  const { agent, lines } = makeAgent({
    exporters: [{ type: "prometheus", listen: "127.0.0.1:0" }],
    sources: [
      source("stuck", `${k}-stuck`, {
        timeout: "50ms",
        breaker: { failure_threshold: 2, cooldown: "300ms", jitter: 0 },
      }),
      source("good", `${k}-good`),
    ],
  });
  const stuck = () => agent.status().sources.find((s) => s.name === "stuck")!;
  await agent.start();
  try {
    await waitFor(() => stuck().breaker?.state === "open", "the breaker to open");
    assertEquals(stuck().timeouts, 2);
    const callsWhenOpen = control(`${k}-stuck`).calls;
    await waitFor(() => stuck().skipped_open >= 2, "skipped ticks while open");
    assertEquals(control(`${k}-stuck`).calls, callsWhenOpen, "called while open");
    // The probe fails with an error that carries the source's secret: it reopens, redacted.
    control(`${k}-stuck`).mode = "fail";
    await waitFor(
      () => /connection refused/.test(stuck().last_errors[0]?.message ?? ""),
      "the failing probe",
      10_000,
    );
    assertMatch(stuck().last_errors[0].message, /^connection refused, password \*+$/);
    assertEquals(stuck().breaker?.state, "open");
    assert(!JSON.stringify(agent.status()).includes("hunter2-secret"), "a secret in /status");
    assert(lines.some((l) => l.includes("connection refused, password")), "the error was logged");
    control(`${k}-stuck`).mode = "ok";
    await waitFor(() => stuck().breaker?.state === "closed", "the breaker to close", 10_000);
    assertEquals(stuck().state, "ok");
    const good = control(`${k}-good`);
    assert(maxGap(good.callTimes) < 1000, `a 100 ms source waited ${maxGap(good.callTimes)} ms`);
    const transitions = lines.filter((l) => /circuit breaker (opened|closed|half-open)/.test(l));
    assert(transitions.length >= 3, transitions.join("\n"));
    assert(!lines.some((l) => l.includes("hunter2-secret")));
  } finally {
    await agent.stop();
  }
});

Deno.test("faults: a cardinality bomb is capped at max_series, every dropped sample counted, the collector stays up", async () => {
  const k = crypto.randomUUID();
  control(`${k}-bomb`).series = 20_000; // unique ids every run
  const { agent } = makeAgent({
    exporters: [{ type: "prometheus", listen: "127.0.0.1:0" }],
    sources: [
      source("bomb", `${k}-bomb`, { max_series: 500, interval: "500ms" }),
      source("good", `${k}-good`),
    ],
  });
  const bomb = () => agent.status().sources.find((s) => s.name === "bomb")!;
  await agent.start();
  try {
    await waitFor(() => bomb().collections >= 3, "three runs of the bomb", 15_000);
    const st = bomb();
    assertEquals(st.series, 500);
    assertEquals(st.dropped_samples, st.collections * 19_500);
    const res = await fetch(agent.pipeline.endpoints[0].url);
    const body = await res.text();
    assertEquals(body.split("\n").filter((l) => l.startsWith("bomb_v{")).length, 500);
    assert(
      agent.status().bottlenecks.find((b) => b.source === "bomb")!.hints.some((h) =>
        h.includes("dropped")
      ),
    );
    const good = control(`${k}-good`);
    assert(good.calls >= 3);
    assert(maxGap(good.callTimes) < 1500, `a 100 ms source waited ${maxGap(good.callTimes)} ms`);
  } finally {
    await agent.stop();
  }
});

Deno.test("faults: on SIGTERM with a hanging OTLP receiver and a hanging source the process exits within shutdown_timeout", async () => {
  const receiver = startOtlpReceiver("hang");
  const dir = await Deno.makeTempDir({ prefix: "sextant-exit-" });
  const config = `${dir}/sextant.toml`;
  await Deno.writeTextFile(
    config,
    `[custom_metrics.agent]
shutdown_timeout = "2s"
jitter = 0
[custom_metrics.admin]
enabled = false
[[custom_metrics.sources]]
name = "slow"
type = "command"
command = ["sleep", "30"]
format = "number"
interval = "60s"
timeout = "40s"
[[custom_metrics.exporters]]
type = "otlp"
endpoint = "${receiver.url}"
interval = "30s"
timeout = "20s"
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, "run", "-c", config],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const pump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
  })();
  try {
    await waitFor(() => /agent started/.test(err), "the collector to start", 60_000);
    const t0 = performance.now();
    child.kill("SIGTERM");
    const status = await child.status;
    const ms = performance.now() - t0;
    await pump;
    assertEquals(status.code, 0, err);
    assertMatch(err, /agent stopped ms=\d+/);
    assert(receiver.hits > 0, "the final export reached the hanging receiver");
    // shutdown_timeout is 2 s; the process follows the agent's stop promptly.
    assert(ms < 3000, `exited ${Math.round(ms)} ms after SIGTERM:\n${err}`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
});
