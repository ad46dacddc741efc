import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import {
  prometheusFamilyName,
  prometheusLabelName,
  prometheusMetricName,
  prometheusSampleNames,
} from "./prometheus_names.ts";
import { escapeHelp, escapeLabelValue, serializePrometheus } from "./prometheus_serializer.ts";
import { makePipeline, sample } from "./testdata/helpers.ts";
import { assertPromtoolClean } from "../../tests/support/promtool.ts";
import { find, parsePromText } from "../../tests/support/prom_text.ts";

Deno.test("prometheusMetricName turns dots and other characters into single underscores", () => {
  assertEquals(
    prometheusMetricName("database_metrics.active_users"),
    "database_metrics_active_users",
  );
  assertEquals(prometheusMetricName("api_health.response-time"), "api_health_response_time");
  assertEquals(prometheusMetricName("a..b//c"), "a_b_c");
  assertEquals(prometheusMetricName("api.response_time.p99.9"), "api_response_time_p99_9");
  assertEquals(prometheusMetricName("9lives"), "_9lives");
});

Deno.test("prometheusLabelName maps keys and renames le and quantile", () => {
  assertEquals(prometheusLabelName("host.name"), "host_name");
  assertEquals(prometheusLabelName("_private"), "_private");
  assertEquals(prometheusLabelName("le"), "exported_le");
  assertEquals(prometheusLabelName("quantile"), "exported_quantile");
  assertEquals(prometheusLabelName("lex"), "lex");
});

Deno.test("prometheusFamilyName adds _total to counters only, once", () => {
  assertEquals(prometheusFamilyName("db.tx", "counter"), "db_tx_total");
  assertEquals(prometheusFamilyName("db.tx_total", "counter"), "db_tx_total");
  assertEquals(prometheusFamilyName("db.tx", "gauge"), "db_tx");
  assertEquals(prometheusFamilyName("db.tx", "updowncounter"), "db_tx");
  assertEquals(prometheusSampleNames("lat", "histogram"), [
    "lat",
    "lat_bucket",
    "lat_sum",
    "lat_count",
  ]);
});

Deno.test("escapeLabelValue and escapeHelp escape what the text format requires", () => {
  assertEquals(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assertEquals(escapeHelp('a"b\\c\nd'), 'a"b\\\\c\\nd');
});

function gauge(
  name: string,
  points: [Record<string, string>, number][],
  description = "",
): MetricData {
  return {
    descriptor: { name, description, unit: "", valueType: 1 },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: points.map(([attributes, value]) => ({
      attributes,
      value,
      startTime: [0, 0],
      endTime: [0, 0],
    })),
  };
}

function collection(
  metrics: MetricData[],
  resource: Record<string, unknown> = { "service.name": "s" },
): ResourceMetrics {
  return {
    resource: resourceFromAttributes(resource as Record<string, string>),
    scopeMetrics: [{ scope: { name: "sextant" }, metrics }],
  };
}

Deno.test("serializePrometheus writes special values, sorts families and series", async (t) => {
  const body = serializePrometheus(collection([
    gauge("zeta", [[{}, 1]]),
    gauge("alpha", [[{ k: "b" }, Infinity], [{ k: "a" }, -Infinity], [{ k: "c" }, NaN], [
      { k: "d" },
      1e21,
    ]]),
    gauge("empty", []),
  ], { "service.name": "s", "process.pid": 42, "x.list": ["a", "b"] }));
  assertEquals(
    body,
    [
      "# HELP target_info Target metadata",
      "# TYPE target_info gauge",
      'target_info{process_pid="42",service_name="s",x_list="[\\"a\\",\\"b\\"]"} 1',
      "# HELP alpha alpha",
      "# TYPE alpha gauge",
      'alpha{k="a"} -Inf',
      'alpha{k="b"} +Inf',
      'alpha{k="c"} NaN',
      'alpha{k="d"} 1e+21',
      "# HELP zeta zeta",
      "# TYPE zeta gauge",
      "zeta 1",
      "",
    ].join("\n"),
  );
  await assertPromtoolClean(t, body);
});

Deno.test("serializePrometheus never writes the same name twice", () => {
  const body = serializePrometheus(collection([
    gauge("a.b", [[{}, 1]]),
    gauge("a_b", [[{}, 2]]),
    gauge("target_info", [[{}, 3]]),
    gauge("dup.labels", [[{ "x.y": "1", x_y: "2" }, 4]]),
    {
      ...gauge("expo", [[{}, 1]]),
      dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
    } as unknown as MetricData,
  ]));
  const text = parsePromText(body);
  assertEquals(find(text, "a_b").map((s) => s.value), [1]);
  assertEquals(find(text, "target_info").length, 1);
  assertEquals(find(text, "dup_labels")[0].labels, { x_y: "1" });
  assertEquals(text.types.has("expo"), false);
});

Deno.test("prometheus output renames le and quantile attributes and stays lint-clean", async (t) => {
  const { pipeline } = makePipeline([]);
  try {
    pipeline.write("s", [
      sample("s.lat", 3, "histogram", { le: "x", quantile: "0.5", route: "/" }),
      sample("s.level", 1, "gauge", { le: "y" }),
    ]);
    const body = await pipeline.prometheusText();
    const text = parsePromText(body);
    assertEquals(find(text, "s_level")[0].labels, { exported_le: "y" });
    assertEquals(find(text, "s_lat_bucket", { le: "+Inf" })[0].labels, {
      exported_le: "x",
      exported_quantile: "0.5",
      route: "/",
      le: "+Inf",
    });
    assertStringIncludes(body, 's_lat_count{exported_le="x",exported_quantile="0.5",route="/"} 1');
    await assertPromtoolClean(t, body);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("serializePrometheus never writes one series twice, counting empty labels as absent", () => {
  const body = serializePrometheus(collection([
    gauge("m", [[{ "a.b": "1" }, 1], [{ a_b: "1" }, 2], [{ x: "1", y: "" }, 3], [{ x: "1" }, 4]]),
  ]));
  const lines = body.split("\n").filter((l) => l.startsWith("m{"));
  assertEquals(lines.length, 2, body);
  const text = parsePromText(body);
  assertEquals(find(text, "m").map((s) => s.labels.a_b ?? s.labels.x), ["1", "1"]);
});

Deno.test("parsePromText counts an empty label as absent when it looks for duplicate series", () => {
  const head = "# HELP m m\n# TYPE m gauge\n";
  assertEquals(parsePromText(`${head}m{x="1",y=""} 1\nm{x="2"} 2\n`).samples.length, 2);
  assertThrows(
    () => parsePromText(`${head}m{x="1",y=""} 1\nm{x="1"} 2\n`),
    Error,
    'duplicate series m[["x","1"]]',
  );
});
