import { assert, assertEquals, assertStringIncludes, waitFor } from "../../tests/assert.ts";
import { TimeoutError } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { otlpExporterSchema } from "./config.ts";
import type { ExporterStatus } from "./exporter_status.ts";
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as OfficialJsonExporter,
} from "@opentelemetry/exporter-metrics-otlp-http";
import { InstrumentType, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { ExportError } from "../core/mod.ts";
import { createOtlpExporter, describeOtlpError, otlpTimeout } from "./otlp_exporter.ts";
import type { ExportPipeline } from "./pipeline.ts";
import { makePipeline, sample } from "./testdata/helpers.ts";
import {
  lastMetric,
  type OtlpReceiver,
  type ReceivedMetric,
  startOtlpReceiver,
} from "../../tests/support/otlp_receiver.ts";

const SECRET = "s3cr3t-t0ken-value";

/** Polls the first exporter's status until `pred` holds. */
async function statusWhen(
  pipeline: ExportPipeline,
  pred: (s: ExporterStatus) => boolean,
  what: string,
): Promise<ExporterStatus> {
  let last: ExporterStatus | undefined;
  await waitFor(() => pred(last = pipeline.status()[0]), what);
  return last!;
}

function writeEveryType(
  write: (source: string, samples: ReturnType<typeof sample>[]) => unknown,
): void {
  write("db", [
    sample("db.active_users", 42, "gauge", { db: "main" }, {
      unit: "{user}",
      description: "Active users",
    }),
    sample("db.transactions", 1500, "counter", { db: "main" }),
    sample("db.queue_depth", -3, "updowncounter", { queue: "jobs" }),
    sample("api.response_time", 12, "histogram", { route: "/login" }, { unit: "ms" }),
    sample("api.response_time", 80, "histogram", { route: "/login" }, { unit: "ms" }),
  ]);
}

function assertEveryType(receiver: OtlpReceiver): void {
  const gauge = lastMetric(receiver, "db.active_users")!;
  assertEquals([gauge.kind, gauge.unit, gauge.description], ["gauge", "{user}", "Active users"]);
  assertEquals(gauge.points.map((p) => [p.attributes, p.value]), [[{ db: "main" }, 42]]);
  assert(
    Math.abs(gauge.points[0].timeUnixNano / 1e6 - Date.now()) < 60_000,
    "time is unix nanoseconds",
  );

  const counter = lastMetric(receiver, "db.transactions")!;
  assertEquals([counter.kind, counter.monotonic, counter.temporality], ["sum", true, 2]);
  assertEquals(counter.points.map((p) => [p.attributes, p.value]), [[{ db: "main" }, 1500]]);

  const updown = lastMetric(receiver, "db.queue_depth")!;
  assertEquals([updown.kind, updown.monotonic], ["sum", false]);
  assertEquals(updown.points.map((p) => [p.attributes, p.value]), [[{ queue: "jobs" }, -3]]);

  const hist = lastMetric(receiver, "api.response_time")!;
  assertEquals([hist.kind, hist.unit, hist.temporality], ["histogram", "ms", 2]);
  const [p] = hist.points;
  assertEquals([p.attributes, p.count, p.sum], [{ route: "/login" }, 2, 92]);
  assertEquals(p.bounds, [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]);
  assertEquals(p.bucketCounts, [0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

  const last = receiver.received[receiver.received.length - 1];
  assertEquals(last.resource["service.name"], "sextant-test");
  assertEquals(last.resource["service.namespace"], "shop");
  assertEquals(last.resource["host.name"], platform.hostname());
  assertEquals(last.resource["deployment.environment"], "test");
}

for (const protocol of ["http/protobuf", "http/json"] as const) {
  Deno.test(`otlp exporter sends ${protocol} with names, values, attributes, resource and headers`, async () => {
    const receiver = startOtlpReceiver();
    const { pipeline, lines } = makePipeline([
      { type: "otlp", endpoint: receiver.url, protocol, headers: { "X-Api-Key": SECRET } },
    ], {
      resource: {
        service_name: "sextant-test",
        service_namespace: "shop",
        attributes: { "deployment.environment": "test" },
      },
    });
    try {
      await pipeline.start();
      writeEveryType(pipeline.write);
      await pipeline.flush();
      await waitFor(() => receiver.received.length > 0, "an export");
      const [first] = receiver.received;
      assertEquals(
        first.contentType,
        protocol === "http/json" ? "application/json" : "application/x-protobuf",
      );
      assertEquals(first.headers.get("x-api-key"), SECRET);
      assertStringIncludes(first.headers.get("user-agent") ?? "", "sextant");
      assertEveryType(receiver);
      const [status] = pipeline.status();
      assertEquals([status.name, status.type, status.exports, status.failures], [
        "otlp",
        "otlp",
        1,
        0,
      ]);
      assertEquals(status.endpoint, receiver.url);
    } finally {
      await pipeline.stop();
      await receiver.close();
    }
    assertEquals(lines.filter((l) => l.level === "warn" || l.level === "error"), []);
  });
}

Deno.test("otlp exporter sends delta temporality for counters and histograms when configured", async () => {
  const receiver = startOtlpReceiver();
  const { pipeline } = makePipeline([{
    type: "otlp",
    endpoint: receiver.url,
    temporality: "delta",
  }]);
  try {
    await pipeline.start();
    pipeline.write("db", [sample("db.tx", 100, "counter"), sample("db.lat", 5, "histogram")]);
    await pipeline.flush();
    pipeline.write("db", [sample("db.tx", 130, "counter"), sample("db.lat", 6, "histogram")]);
    await pipeline.flush();
    await waitFor(() => receiver.received.length >= 2, "two exports");
    const values = receiver.received.map((r) =>
      r.metrics.find((m) => m.name === "db.tx")?.points[0].value
    );
    assertEquals(values, [100, 30]);
    const hist = receiver.received.map((r) => r.metrics.find((m) => m.name === "db.lat")!);
    assertEquals(hist.map((h) => [h.temporality, h.points[0].count]), [[1, 1], [1, 1]]);
  } finally {
    await pipeline.stop();
    await receiver.close();
  }
});

Deno.test("otlp exporter stops sending series a source no longer reports", async () => {
  const receiver = startOtlpReceiver();
  const { pipeline } = makePipeline([{ type: "otlp", endpoint: receiver.url }]);
  try {
    await pipeline.start();
    pipeline.write("db", [
      sample("db.rows", 1, "gauge", { t: "a" }),
      sample("db.rows", 2, "gauge", { t: "b" }),
    ]);
    await pipeline.flush();
    pipeline.write("db", [sample("db.rows", 3, "gauge", { t: "a" })]);
    await pipeline.flush();
    await waitFor(() => receiver.received.length >= 2, "two exports");
    const points = (m: ReceivedMetric | undefined) =>
      m?.points.map((p) => [p.attributes.t, p.value]);
    assertEquals(points(receiver.received[0].metrics[0]), [["a", 1], ["b", 2]]);
    assertEquals(points(receiver.received[1].metrics[0]), [["a", 3]]);

    pipeline.write("db", []);
    await pipeline.flush();
    assertEquals(receiver.received.length, 2, "nothing left to send: no request at all");
  } finally {
    await pipeline.stop();
    await receiver.close();
  }
});

Deno.test("otlp exporter counts 503 answers as failures and recovers", async () => {
  const receiver = startOtlpReceiver("503");
  const { pipeline, lines, raw } = makePipeline([
    {
      type: "otlp",
      name: "collector",
      endpoint: receiver.url,
      timeout: "500ms",
      headers: { authorization: `Bearer ${SECRET}` },
    },
  ]);
  try {
    await pipeline.start();
    pipeline.write("db", [sample("db.rows", 1)]);
    await pipeline.flush();
    const failed = await statusWhen(pipeline, (s) => s.failures === 1, "a failure");
    assertEquals(failed.exports, 0);
    assertStringIncludes(failed.lastError!, "503");
    const warn = lines.filter((l) => l.msg === "export failed");
    assertEquals(warn.length, 1);
    assertEquals([warn[0].level, warn[0].exporter, warn[0].endpoint], [
      "warn",
      "collector",
      receiver.url,
    ]);

    receiver.mode = "ok";
    await pipeline.flush();
    // The failed batch from the retry queue, then the new one behind it (order kept).
    await waitFor(() => pipeline.status()[0].exports === 2, "an export and a retry after recovery");
    assertEquals(receiver.received[0].metrics[0].points[0].value, 1);
    assertEquals(receiver.received.length, 2);
    assertEquals(pipeline.status()[0].queue?.retried, 2, "both went through the queue");
    assertEquals(pipeline.status()[0].queue?.size, 0);
    assertEquals(lines.filter((l) => l.msg === "export recovered").map((l) => l.failed_before), [
      1,
    ]);
    assertEquals(
      pipeline.status()[0].lastError,
      failed.lastError,
      "the last error is kept for /status",
    );
  } finally {
    await pipeline.stop();
    await receiver.close();
  }
  assert(!raw.some((l) => l.includes(SECRET)), "a header value reached the log");
  assert(!raw.some((l) => l.includes("    at ")), "a stack trace reached the log");
});

Deno.test("otlp exporter counts a refused connection as a failure", async () => {
  const gone = startOtlpReceiver();
  const url = gone.url;
  await gone.close();
  const { pipeline, lines } = makePipeline([{
    type: "otlp",
    endpoint: url,
    timeout: "500ms",
    headers: { "x-token": SECRET },
  }]);
  try {
    await pipeline.start();
    pipeline.write("db", [sample("db.rows", 1)]);
    await pipeline.flush();
    const status = await statusWhen(pipeline, (s) => s.failures >= 1, "a failure");
    assertStringIncludes(status.lastError!, "ECONNREFUSED");
    pipeline.write("db", [sample("db.rows", 2)]);
    assertEquals(
      (await pipeline.prometheusText()).includes("db_rows 2"),
      true,
      "the pipeline still works",
    );
  } finally {
    await pipeline.stop();
  }
  const failures = lines.filter((l) => l.msg === "export failed");
  assert(failures.length >= 1);
  assert(failures.every((l) => !JSON.stringify(l).includes(SECRET)));
});

Deno.test("otlp exporter times out on a hanging receiver and stop returns within its bound", async () => {
  const receiver = startOtlpReceiver("hang");
  const { pipeline, lines } = makePipeline(
    [{ type: "otlp", endpoint: receiver.url, timeout: "300ms", interval: "1h" }],
    { stopTimeout: 1500 },
  );
  try {
    await pipeline.start();
    pipeline.write("db", [sample("db.rows", 1)]);
    const t0 = Date.now();
    await pipeline.flush();
    const status = await statusWhen(pipeline, (s) => s.failures === 1, "a timeout");
    assert(Date.now() - t0 < 5000, "the export timed out near its 300 ms timeout");
    assertEquals(status.lastError, "timed out after 300 ms");

    // The pipeline keeps working: Prometheus text still renders.
    pipeline.write("db", [sample("db.rows", 2)]);
    assertStringIncludes(await pipeline.prometheusText(), "db_rows 2");

    const s0 = Date.now();
    await pipeline.stop();
    await pipeline.stop();
    const took = Date.now() - s0;
    assert(took < 1500 + 500, `stop took ${took} ms`);
    assert(receiver.hits >= 2, "stop made a final export attempt");
  } finally {
    await pipeline.stop();
    await receiver.close();
  }
  assertEquals(lines.filter((l) => l.msg === "export failed").length >= 1, true);
});

Deno.test("otlp exporter stop abandons an export that outlives the stop bound", async () => {
  const receiver = startOtlpReceiver("hang");
  const { pipeline, lines } = makePipeline(
    [{ type: "otlp", endpoint: receiver.url, timeout: "20s", interval: "1h" }],
    { stopTimeout: 300 },
  );
  await pipeline.start();
  pipeline.write("db", [sample("db.rows", 1)]);
  const s0 = Date.now();
  await pipeline.stop();
  const took = Date.now() - s0;
  assert(took >= 250 && took < 1500, `stop took ${took} ms`);
  assertEquals(
    lines.filter((l) => l.msg === "export pipeline stop timed out; abandoning pending exports")
      .length,
    1,
  );
  await waitFor(() => receiver.hits >= 1, "the final export to arrive");
  // Let the abandoned request finish so that nothing outlives the test.
  await receiver.close();
  await waitFor(
    () => pipeline.status()[0].exports + pipeline.status()[0].failures >= 1,
    "the abandoned export to end",
  );
});

Deno.test("describeOtlpError gives one safe line per kind of failure", () => {
  const config = otlpExporterSchema.parse({
    type: "otlp",
    endpoint: "https://user:pa55word@otlp.example/v1/metrics",
    headers: { Authorization: `Bearer ${SECRET}`, "x-key": "k3y-value" },
    timeout: "2s",
    interval: "1s",
  });
  assertEquals(otlpTimeout(config), 1000, "timeout is capped at interval");
  const http = Object.assign(new Error("Bad Request"), {
    code: 400,
    data: `invalid token ${SECRET}\n${"x".repeat(500)}`,
  });
  const line = describeOtlpError(http, config);
  assert(line.startsWith('HTTP 400 Bad Request: "invalid token *** xxx'), line);
  assert(line.length < 300 && !line.includes("\n"), line);
  assertEquals(
    describeOtlpError(new Error("Request timed out"), config),
    "timed out after 1000 ms",
  );
  assertStringIncludes(
    describeOtlpError(new Error("Export failed with retryable status"), config),
    "503",
  );
  assertEquals(
    describeOtlpError(new TimeoutError("export", 5), config),
    "export timed out after 5 ms",
  );
  assertEquals(
    describeOtlpError(new Error(`connect to k3y-value and pa55word\n    at x`), config),
    "connect to *** and ***",
  );
  assertEquals(describeOtlpError("plain", config), "plain");
  assertEquals(describeOtlpError(Object.assign(new Error(""), { code: 502 }), config), "HTTP 502");
});

Deno.test("otlp exporter reports a missing env permission as an ExportError, not a crash", async () => {
  const script = new URL("./testdata/restricted_env.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-sys", "--allow-env=NOTHING", "--config", config, script],
    stdout: "piped",
    stderr: "piped",
    // Not inherited: DENO_COVERAGE_DIR would let the child's partial coverage mask this run's.
    clearEnv: true,
    env: Object.fromEntries(
      ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((k) => {
        const v = Deno.env.get(k);
        return v === undefined ? [] : [[k, v]];
      }),
    ),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals(result.name, "ExportError");
  assert(
    /^Cannot create the OTLP exporter "collector": Requires env access to "OTEL_EXPORTER_OTLP_/
      .test(result.message),
    result.message,
  );
});

Deno.test("otlp exporter sends an endpoint password with a malformed percent-escape as written", async () => {
  const receiver = startOtlpReceiver();
  const endpoint = receiver.url.replace("http://", "http://user:p%zzSecretPw@");
  const { pipeline, raw } = makePipeline([{ type: "otlp", endpoint, timeout: "2s" }]);
  try {
    await pipeline.start();
    pipeline.write("db", [sample("db.rows", 1)]);
    await pipeline.flush();
    const status = await statusWhen(pipeline, (s) => s.exports + s.failures >= 1, "an export");
    assertEquals([status.exports, status.failures, status.lastError], [1, 0, undefined]);
    assertEquals(
      receiver.received[0].headers.get("authorization"),
      `Basic ${btoa("user:p%zzSecretPw")}`,
    );
    assertEquals(status.endpoint, receiver.url, "no credentials in status");
  } finally {
    await pipeline.stop();
    await receiver.close();
  }
  assert(!raw.some((l) => l.includes("SecretPw")), "the password reached the log");
});

Deno.test("otlp exporter answers temporality and aggregation as the official exporter would, before it loads", async () => {
  for (const temporality of ["cumulative", "delta"] as const) {
    const lazy = createOtlpExporter(otlpExporterSchema.parse({ type: "otlp", temporality }));
    const official = new OfficialJsonExporter({
      temporalityPreference: temporality === "delta"
        ? AggregationTemporalityPreference.DELTA
        : AggregationTemporalityPreference.CUMULATIVE,
    });
    for (const type of Object.values(InstrumentType)) {
      assertEquals(
        lazy.selectAggregationTemporality!(type),
        official.selectAggregationTemporality(type),
        `${temporality}: ${type}`,
      );
      assertEquals(lazy.selectAggregation!(type), official.selectAggregation(type), type);
    }
    await lazy.forceFlush();
    await lazy.shutdown();
    await official.shutdown();
  }
});

Deno.test("otlp exporter shut down before its first export refuses later exports with an ExportError", async () => {
  const receiver = startOtlpReceiver();
  try {
    const exporter = createOtlpExporter(
      otlpExporterSchema.parse({ type: "otlp", name: "late", endpoint: receiver.url }),
    );
    await exporter.shutdown();
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export({ resource: {}, scopeMetrics: [] } as unknown as ResourceMetrics, resolve)
    );
    assertEquals(result.code, 1);
    assert(result.error instanceof ExportError, String(result.error));
    assertEquals(result.error.message, "the OTLP exporter is shut down");
    assertEquals(receiver.received.length, 0);
    await exporter.forceFlush(); // after shutdown: settles, sends nothing
    assertEquals(receiver.received.length, 0);
  } finally {
    await receiver.close();
  }
});

/** The `db.rows` values the receiver got, in arrival order. */
function rowsReceived(receiver: OtlpReceiver): number[] {
  return receiver.received.flatMap((r) =>
    r.metrics.filter((m) => m.name === "db.rows").flatMap((m) => m.points.map((p) => p.value!))
  );
}

Deno.test("otlp exporter delivers its retry queue in order at stop once the receiver is back", async () => {
  const receiver = startOtlpReceiver();
  await receiver.refuse();
  const { pipeline, lines } = makePipeline([{
    type: "otlp",
    endpoint: receiver.url,
    timeout: "500ms",
    retry_initial: "1m", // no retry on its own: only flushes and the stop try again
  }]);
  try {
    await pipeline.start();
    for (let i = 1; i <= 5; i++) {
      pipeline.write("db", [sample("db.rows", i)]);
      await pipeline.flush();
      await statusWhen(pipeline, (s) => s.failures === i, `failure ${i}`);
    }
    assertEquals(pipeline.status()[0].queue?.size, 5);
    receiver.recover();
    pipeline.write("db", [sample("db.rows", 6)]);
  } finally {
    await pipeline.stop();
    await receiver.close();
  }
  // Every queued batch, oldest first, then the final export.
  assertEquals(rowsReceived(receiver), [1, 2, 3, 4, 5, 6]);
  const q = pipeline.status()[0].queue!;
  // Batches 1..5 and the final one were delivered from the queue.
  assertEquals([q.size, q.dropped_batches, q.retried], [0, 0, 6]);
  assertEquals(lines.filter((l) => String(l.msg).startsWith("retry queue not delivered")), []);
});

Deno.test("otlp exporter counts and logs the retry queue it cannot deliver by the stop", async () => {
  const receiver = startOtlpReceiver();
  await receiver.refuse();
  const { pipeline, lines } = makePipeline([{
    type: "otlp",
    name: "collector",
    endpoint: receiver.url,
    timeout: "500ms",
    retry_initial: "1m",
  }]);
  try {
    await pipeline.start();
    for (let i = 1; i <= 3; i++) {
      pipeline.write("db", [sample("db.rows", i), sample("db.other", i)]);
      await pipeline.flush();
      await statusWhen(pipeline, (s) => s.failures === i, `failure ${i}`);
    }
  } finally {
    await pipeline.stop();
    await receiver.close();
  }
  // The three failed batches and the final export: 4 batches of 2 points.
  const q = pipeline.status()[0].queue!;
  assertEquals([q.size, q.dropped_batches, q.dropped_points], [0, 4, 8]);
  const left = lines.filter((l) => l.msg === "retry queue not delivered at shutdown; dropped");
  assertEquals(left.map((l) => [l.level, l.exporter, l.batches, l.points]), [
    ["warn", "collector", 4, 8],
  ]);
});
