import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { assertEquals } from "../../tests/assert.ts";
import { errorMessage } from "../core/mod.ts";
import { ExporterStats } from "./exporter_status.ts";
import { type ExportResult, FAILED, MonitoredExporter, SUCCESS } from "./monitored_exporter.ts";
import { captureLogger } from "./testdata/helpers.ts";

const DATA: ResourceMetrics = {
  resource: resourceFromAttributes({}),
  scopeMetrics: [{
    scope: { name: "t" },
    metrics: [{
      descriptor: { name: "m", description: "", unit: "", valueType: 1 },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints: [{ attributes: {}, value: 1, startTime: [0, 0], endTime: [0, 0] }],
    }],
  }],
};

/** A test double: an exporter whose behaviour is chosen per test. */
function inner(
  behaviour: (cb: (r: ExportResult) => void) => void,
): PushMetricExporter & { calls: number } {
  const e = {
    calls: 0,
    export: (_m: ResourceMetrics, cb: (r: ExportResult) => void) => {
      e.calls++;
      behaviour(cb);
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  return e;
}

function monitored(exporter: PushMetricExporter, filter = (rm: ResourceMetrics) => rm) {
  const { logger, lines } = captureLogger();
  const stats = new ExporterStats("x", "otlp", "http://h/v1/metrics", logger);
  const m = new MonitoredExporter(exporter, {
    stats,
    timeoutMs: 50,
    filter,
    describe: errorMessage,
  });
  const run = () => new Promise<ExportResult>((resolve) => m.export(DATA, resolve));
  return { m, stats, lines, run };
}

Deno.test("MonitoredExporter counts a callback that never comes as a timeout", async () => {
  const { stats, run, lines } = monitored(inner(() => {}));
  const r = await run();
  assertEquals(r.code, FAILED);
  assertEquals(stats.snapshot().lastError, "export timed out after 50 ms");
  assertEquals(lines.map((l) => [l.level, l.msg, l.exporter, l.endpoint]), [
    ["warn", "export failed", "x", "http://h/v1/metrics"],
  ]);
});

Deno.test("MonitoredExporter turns a throwing exporter into a failed result", async () => {
  const { stats, run } = monitored(inner(() => {
    throw new Error("boom");
  }));
  assertEquals((await run()).code, FAILED);
  assertEquals([stats.snapshot().failures, stats.snapshot().lastError], [1, "boom"]);
});

Deno.test("MonitoredExporter reports a late callback once", async () => {
  let late: ((r: ExportResult) => void) | undefined;
  const { stats, run } = monitored(inner((cb) => (late = cb)));
  assertEquals((await run()).code, FAILED);
  late!({ code: SUCCESS });
  assertEquals([stats.snapshot().exports, stats.snapshot().failures], [0, 1]);
});

Deno.test("MonitoredExporter skips the call when nothing is left after filtering", async () => {
  const e = inner((cb) => cb({ code: SUCCESS }));
  const { stats, run } = monitored(e, (rm) => ({ ...rm, scopeMetrics: [] }));
  assertEquals((await run()).code, SUCCESS);
  assertEquals([e.calls, stats.snapshot().exports], [0, 0]);
});

Deno.test("MonitoredExporter passes temporality through and defaults to cumulative", () => {
  const plain = new MonitoredExporter(inner(() => {}), {
    stats: new ExporterStats("x", "t", undefined, captureLogger().logger),
    timeoutMs: 1,
    filter: (rm) => rm,
    describe: String,
  });
  assertEquals(
    plain.selectAggregationTemporality(InstrumentType.COUNTER),
    AggregationTemporality.CUMULATIVE,
  );
  const delta = new MonitoredExporter(
    { ...inner(() => {}), selectAggregationTemporality: () => AggregationTemporality.DELTA },
    {
      stats: new ExporterStats("x", "t", undefined, captureLogger().logger),
      timeoutMs: 1,
      filter: (rm) => rm,
      describe: String,
    },
  );
  assertEquals(
    delta.selectAggregationTemporality(InstrumentType.COUNTER),
    AggregationTemporality.DELTA,
  );
});
