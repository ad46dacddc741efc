import { diag } from "@opentelemetry/api";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
  waitFor,
} from "../../tests/assert.ts";
import { ExportError, type Sample } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { DEFAULT_EXPORTERS, resourceSchema } from "./config.ts";
import { createExportPipeline } from "./pipeline.ts";
import { captureLogger, makePipeline, sample } from "./testdata/helpers.ts";
import { find, parsePromText } from "../../tests/support/prom_text.ts";

Deno.test("createExportPipeline refuses two exporters with the same name", () => {
  const err = assertThrows(
    () =>
      createExportPipeline({
        exporters: [...DEFAULT_EXPORTERS, ...DEFAULT_EXPORTERS],
        resource: resourceSchema.parse({}),
        platform,
        logger: captureLogger().logger,
      }),
    TypeError,
    'exporter names must be unique: current value is "prometheus" twice',
  );
  assert(err.message.startsWith("Cannot create the export pipeline"));
});

Deno.test("export pipeline renders Prometheus text before start and without exporters", async () => {
  const { pipeline } = makePipeline([]);
  try {
    pipeline.write("db", [sample("db.rows", 3, "gauge", { t: "a" })]);
    const text = parsePromText(await pipeline.prometheusText());
    assertEquals(find(text, "db_rows", { t: "a" }).map((s) => s.value), [3]);
    assertEquals(pipeline.endpoints, []);
    assertEquals(pipeline.status(), []);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("export pipeline write never throws on garbage input", async () => {
  const { pipeline } = makePipeline([]);
  try {
    const garbage = [undefined, 42, "x", {
      name: "ok.one",
      value: 1,
      type: "gauge",
    }] as unknown as Sample[];
    const { rejected } = pipeline.write("s", garbage);
    assertEquals(rejected.map((r) => r.reason), [
      "a sample must be an object, found undefined",
      "a sample must be an object, found number",
      "a sample must be an object, found string",
    ]);
    assertEquals(pipeline.write("s", null as unknown as Sample[]).rejected, []);
    assertStringIncludes(await pipeline.prometheusText(), "target_info");
  } finally {
    await pipeline.stop();
  }
});

Deno.test("export pipeline start and stop are safe to repeat, and it stays stopped", async () => {
  const { pipeline } = makePipeline([{ type: "prometheus", listen: "127.0.0.1:0" }]);
  await pipeline.start();
  await pipeline.start();
  assertEquals(pipeline.endpoints.length, 1);
  const url = pipeline.endpoints[0].url;
  await Promise.all([pipeline.stop(), pipeline.stop()]);
  await pipeline.stop();
  assertEquals(pipeline.endpoints, []);
  await assertRejects(() => fetch(url), TypeError);
  await assertRejects(
    () => pipeline.start(),
    ExportError,
    "Cannot start the export pipeline as it was stopped",
  );
  await assertRejects(() => pipeline.prometheusText(), ExportError, "stopped");
  const { rejected } = pipeline.write("s", [sample("a.b", 1)]);
  assertEquals(rejected.map((r) => r.reason), ["the export pipeline is stopped"]);
  await pipeline.flush();
});

Deno.test("export pipeline rebuilds OTel state once dead series pile up, keeping live ones", async () => {
  const { pipeline, lines, printed } = makePipeline([{ type: "console" }], { compactAfter: 20 });
  try {
    await pipeline.start();
    pipeline.write("hist", [sample("h.lat", 5, "histogram")]);
    // Every batch reports fresh series (think a label holding a job id): each batch kills the previous ones.
    for (let batch = 0; batch < 10; batch++) {
      const samples = Array.from(
        { length: 5 },
        (_, i) => sample("churn.rows", i, "gauge", { job: `${batch}-${i}` }),
      );
      assertEquals(
        pipeline.write("churn", [...samples, sample("churn.total", 100 + batch, "counter")])
          .rejected,
        [],
      );
    }
    const rebuilds = lines.filter((l) =>
      l.msg === "rebuilt OTel state to forget series no source reports"
    );
    assertEquals(rebuilds.length, 1);
    assertEquals(rebuilds[0].dead_series, 25);

    const text = parsePromText(await pipeline.prometheusText());
    assertEquals(find(text, "churn_rows").map((s) => s.labels.job).sort(), [
      "9-0",
      "9-1",
      "9-2",
      "9-3",
      "9-4",
    ]);
    assertEquals(find(text, "churn_total").map((s) => s.value), [109]);
    assertEquals(text.types.has("h_lat"), false, "histogram counts start over after a rebuild");

    pipeline.write("hist", [sample("h.lat", 6, "histogram")]);
    await pipeline.flush();
    assert(printed.some((l) => l.includes("histogram h.lat{} count=1 sum=6")), printed.join("\n"));
    // The retired generation makes a final export too (no delta is lost); neither exports dead series.
    const jobs = printed.filter((l) => l.includes("churn.rows")).map((l) =>
      /job="([^"]+)"/.exec(l)![1]
    );
    assert(jobs.length >= 5 && jobs.every((j) => j.startsWith("9-")), jobs.join(","));
  } finally {
    await pipeline.stop();
  }
});

Deno.test("export pipeline forwards OTel warnings to its logger until stopped", async () => {
  const { pipeline, lines } = makePipeline([]);
  diag.warn("something odd", new Error("detail here"));
  diag.error("PeriodicExportingMetricReader: metrics export failed (error x)");
  diag.info("chatter");
  await pipeline.stop();
  diag.warn("after stop");
  assertEquals(
    lines.filter((l) => l.component === "otel").map((l) => [l.level, l.msg, l.detail]),
    [["warn", "something odd", "detail here"]],
  );
});

Deno.test("export pipeline sends console lines to the logger without writeConsole", async () => {
  const { logger, lines } = captureLogger();
  const pipeline = createExportPipeline({
    exporters: [{ type: "console", interval: 60_000, format: "text" }],
    resource: resourceSchema.parse({}),
    platform,
    logger,
  });
  try {
    await pipeline.start();
    pipeline.write("db", [sample("db.rows", 1)]);
    await pipeline.flush();
    assert(lines.some((l) => l.level === "info" && String(l.msg).endsWith("gauge db.rows{} 1")));
  } finally {
    await pipeline.stop();
  }
});

Deno.test("export pipeline status reports every exporter", async () => {
  const { pipeline } = makePipeline([
    { type: "prometheus", listen: "127.0.0.1:0" },
    { type: "otlp", endpoint: "http://user:pw@127.0.0.1:1/v1/metrics?token=abc", name: "remote" },
    { type: "console", name: "stdout" },
  ]);
  try {
    await pipeline.start();
    const [prom, otlp, cons] = pipeline.status();
    assertEquals([prom.name, prom.type, prom.endpoint], [
      "prometheus",
      "prometheus",
      pipeline.endpoints[0].url,
    ]);
    assertEquals([otlp.name, otlp.type, otlp.endpoint], [
      "remote",
      "otlp",
      "http://127.0.0.1:1/v1/metrics",
    ]);
    assertEquals([cons.name, cons.type, cons.endpoint, cons.exports, cons.failures], [
      "stdout",
      "console",
      undefined,
      0,
      0,
    ]);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("export pipeline keeps OTLP and Prometheus consistent with per-source replacement", async () => {
  const { pipeline, printed } = makePipeline([{ type: "console", format: "json" }]);
  try {
    await pipeline.start();
    pipeline.write("a", [sample("m.x", 1, "gauge", { s: "a" })]);
    pipeline.write("b", [sample("m.x", 2, "gauge", { s: "b" })]);
    pipeline.write("a", []);
    await pipeline.flush();
    assertEquals(printed.map((l) => JSON.parse(l).attributes.s), ["b"]);
    const text = parsePromText(await pipeline.prometheusText());
    assertEquals(find(text, "m_x").map((s) => s.labels.s), ["b"]);
    await waitFor(() => pipeline.status()[0].exports === 1, "the console export to count");
  } finally {
    await pipeline.stop();
  }
});

Deno.test("export pipeline stopped while starting leaves no listener open", async () => {
  const { pipeline } = makePipeline([{ type: "prometheus", listen: "127.0.0.1:0" }]);
  const starting = pipeline.start();
  await pipeline.stop();
  await assertRejects(() => starting, ExportError, "stopped");
  assertEquals(pipeline.endpoints, []);
});

Deno.test("export pipeline forgets metrics no source reports, so name churn stays bounded", async () => {
  const { pipeline, lines } = makePipeline([{ type: "prometheus", listen: "127.0.0.1:0" }]);
  try {
    await pipeline.start();
    // 20 000 distinct names, 50 at a time; each batch replaces the previous one.
    let n = 0;
    let most = 0;
    for (let batch = 0; batch < 400; batch++) {
      const samples = Array.from({ length: 50 }, () => sample(`churn.req_${n++}`, 1));
      assertEquals(pipeline.write("churn", samples).rejected, []);
      const s = pipeline.inspect();
      assertEquals(s.instruments, s.metrics, "one OTel instrument per metric, no more");
      most = Math.max(most, s.metrics);
    }
    const s = pipeline.inspect();
    assert(most <= 10_000 + 50, `at most compactAfter dead metrics plus the live ones: ${most}`);
    assertEquals([s.activeMetrics, s.liveSeries, s.rebuilds], [50, 50, 1]);
    const rebuild = lines.find((l) =>
      l.msg === "rebuilt OTel state to forget series no source reports"
    );
    // Each dead series was a whole metric: the rebuild drops them all.
    assertEquals([rebuild?.dead_series, rebuild?.dropped_metrics], [10_050, 10_050]);

    const scraped = parsePromText(await (await fetch(pipeline.endpoints[0].url)).text());
    assertEquals(scraped.types.size, 1 + 50, "target_info and the last batch");
    assertEquals(find(scraped, "churn_req_19999").map((x) => x.value), [1]);

    // A dropped name can come back, even as another type.
    assertEquals(pipeline.write("again", [sample("churn.req_0", 7, "counter")]).rejected, []);
    const text = parsePromText(await (await fetch(pipeline.endpoints[0].url)).text());
    assertEquals(text.types.get("churn_req_0_total"), "counter");
    assertEquals(find(text, "churn_req_0_total").map((x) => x.value), [7]);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("export pipeline rejects samples of new metrics beyond maxMetrics", async () => {
  const { pipeline } = makePipeline([], { maxMetrics: 2 });
  try {
    const { rejected } = pipeline.write("s", [sample("a", 1), sample("b", 1), sample("c", 1)]);
    assertEquals(rejected.map((r) => r.reason), [
      'metric "c" is dropped: 2 metrics already have series (the limit); new metrics are dropped until others stop reporting',
    ]);
    assertEquals(pipeline.write("s", [sample("c", 1), sample("d", 1)]).rejected, []);
    const text = parsePromText(await pipeline.prometheusText());
    assertEquals([...text.types.keys()].sort(), ["c", "d", "target_info"]);
    assertEquals(pipeline.inspect().activeMetrics, 2);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("createExportPipeline refuses limits that are not positive integers", () => {
  for (
    const [key, value] of [["maxMetrics", 0], ["maxSeriesPerMetric", 1.5], ["compactAfter", -1]]
  ) {
    assertThrows(
      () =>
        createExportPipeline({
          exporters: [],
          resource: resourceSchema.parse({}),
          platform,
          logger: captureLogger().logger,
          [key]: value,
        }),
      TypeError,
      `Cannot create the export pipeline as '${key}' must be a positive integer: current value is ${value}`,
    );
  }
});
