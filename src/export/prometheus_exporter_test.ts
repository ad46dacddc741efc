import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ConnectError } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { ExporterStats } from "./exporter_status.ts";
import { listenerUrl, PrometheusEndpoint } from "./prometheus_exporter.ts";
import { captureLogger, makePipeline, sample } from "./testdata/helpers.ts";
import { assertPromtoolClean } from "../../tests/support/promtool.ts";
import { find, parsePromText } from "../../tests/support/prom_text.ts";

const PROM = { type: "prometheus", listen: "127.0.0.1:0" };

async function scrape(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    body: await res.text(),
  };
}

Deno.test("prometheus exporter serves every metric type with names, values and labels", async (t) => {
  const { pipeline } = makePipeline([PROM], {
    resource: { service_name: "shop", attributes: { env: "test" } },
  });
  try {
    await pipeline.start();
    const { rejected } = pipeline.write("db", [
      sample("db.active_users", 42, "gauge", { db: "main" }, {
        description: "Users seen in the last hour",
      }),
      sample("db.active_users", 7, "gauge", { db: "replica" }),
      sample("db.transactions", 1500, "counter", { db: "main" }),
      sample("db.queue_depth", -3, "updowncounter"),
      sample("api.response_time", 12, "histogram", { route: "/login" }, { unit: "ms" }),
      sample("api.response_time", 80, "histogram", { route: "/login" }, { unit: "ms" }),
      sample("api.response_time", 3000, "histogram", { route: "/login" }, { unit: "ms" }),
    ]);
    assertEquals(rejected, []);
    const [endpoint] = pipeline.endpoints;
    assert(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/.test(endpoint.url), endpoint.url);
    assert(!endpoint.url.endsWith(":0/metrics"), "port 0 must be resolved");
    const res = await scrape(endpoint.url);
    assertEquals(res.status, 200);
    assertEquals(res.type, "text/plain; version=0.0.4; charset=utf-8");
    const text = parsePromText(res.body);

    assertEquals(text.types.get("db_active_users"), "gauge");
    assertEquals(text.help.get("db_active_users"), "Users seen in the last hour");
    assertEquals(find(text, "db_active_users", { db: "main" }).map((s) => s.value), [42]);
    assertEquals(find(text, "db_active_users", { db: "replica" }).map((s) => s.value), [7]);

    assertEquals(text.types.get("db_transactions_total"), "counter");
    assertEquals(find(text, "db_transactions_total", { db: "main" }).map((s) => s.value), [1500]);
    assertEquals(text.types.has("db_transactions"), false);

    assertEquals(text.types.get("db_queue_depth"), "gauge");
    assertEquals(find(text, "db_queue_depth").map((s) => s.value), [-3]);

    assertEquals(text.types.get("api_response_time"), "histogram");
    assertEquals(text.help.get("api_response_time"), "api.response_time (unit: ms)");
    const bucket = (le: string) =>
      find(text, "api_response_time_bucket", { route: "/login", le })[0]?.value;
    assertEquals([
      bucket("10"),
      bucket("25"),
      bucket("100"),
      bucket("2500"),
      bucket("5000"),
      bucket("+Inf"),
    ], [
      0,
      1,
      2,
      2,
      3,
      3,
    ]);
    assertEquals(find(text, "api_response_time_count", { route: "/login" })[0].value, 3);
    assertEquals(find(text, "api_response_time_sum", { route: "/login" })[0].value, 3092);

    const [info] = find(text, "target_info");
    assertEquals(info.value, 1);
    assertEquals(info.labels.service_name, "shop");
    assertEquals(info.labels.env, "test");
    assertEquals(info.labels.host_name, platform.hostname());

    await assertPromtoolClean(t, res.body);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("prometheus exporter drops series a source no longer reports", async (t) => {
  const { pipeline } = makePipeline([PROM]);
  try {
    await pipeline.start();
    const url = pipeline.endpoints[0].url;
    pipeline.write("db", [
      sample("db.rows", 1, "gauge", { table: "a" }),
      sample("db.rows", 2, "gauge", { table: "b" }),
      sample("db.inserts", 10, "counter", { table: "a" }),
    ]);
    pipeline.write("other", [sample("db.rows", 9, "gauge", { table: "z" })]);
    let text = parsePromText((await scrape(url)).body);
    assertEquals(find(text, "db_rows").map((s) => s.labels.table).sort(), ["a", "b", "z"]);

    pipeline.write("db", [sample("db.rows", 5, "gauge", { table: "a" })]);
    text = parsePromText((await scrape(url)).body);
    assertEquals(find(text, "db_rows").map((s) => [s.labels.table, s.value]).sort(), [["a", 5], [
      "z",
      9,
    ]]);
    assertEquals(find(text, "db_inserts_total"), []);
    assertEquals(text.types.has("db_inserts_total"), false, "a family without series is left out");

    pipeline.write("db", []);
    const body = (await scrape(url)).body;
    text = parsePromText(body);
    assertEquals(find(text, "db_rows").map((s) => s.labels.table), ["z"]);
    await assertPromtoolClean(t, body);

    pipeline.write("other", []);
    text = parsePromText((await scrape(url)).body);
    assertEquals(text.samples.map((s) => s.name), ["target_info"]);

    pipeline.write("db", [sample("db.inserts", 12, "counter", { table: "a" })]);
    text = parsePromText((await scrape(url)).body);
    assertEquals(
      find(text, "db_inserts_total").map((s) => s.value),
      [12],
      "a series can come back",
    );
  } finally {
    await pipeline.stop();
  }
});

Deno.test("prometheus exporter escapes quotes, backslashes and newlines in label values", async (t) => {
  const { pipeline } = makePipeline([PROM]);
  try {
    await pipeline.start();
    const nasty = ['say "hi"', "C:\\temp\\new", "two\nlines", 'all\\"of\nit\\n', "ünïcødé ✓", ""];
    pipeline.write(
      "s",
      nasty.map((v, i) =>
        sample("s.labels", i, "gauge", { v, k: String(i) }, {
          description: 'help with \\ and\nnewline "q"',
        })
      ),
    );
    const res = await scrape(pipeline.endpoints[0].url);
    assertStringIncludes(res.body, 's_labels{k="0",v="say \\"hi\\""} 0');
    assertStringIncludes(res.body, 's_labels{k="1",v="C:\\\\temp\\\\new"} 1');
    assertStringIncludes(res.body, 's_labels{k="2",v="two\\nlines"} 2');
    assertStringIncludes(res.body, '# HELP s_labels help with \\\\ and\\nnewline "q"\n');
    const text = parsePromText(res.body);
    for (const [i, v] of nasty.entries()) {
      assertEquals(find(text, "s_labels", { k: String(i) }).map((s) => s.labels.v), [v]);
    }
    await assertPromtoolClean(t, res.body);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("prometheus exporter answers 404 off its path and 405 to other methods", async () => {
  const { pipeline } = makePipeline([{ ...PROM, path: "/custom/metrics" }]);
  try {
    await pipeline.start();
    const url = pipeline.endpoints[0].url;
    assert(url.endsWith("/custom/metrics"), url);
    const base = url.replace("/custom/metrics", "");

    const notFound = await fetch(`${base}/metrics`);
    assertEquals(notFound.status, 404);
    assertStringIncludes(await notFound.text(), "/custom/metrics");

    const post = await fetch(url, { method: "POST", body: "x" });
    assertEquals(post.status, 405);
    assertEquals(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();

    const head = await fetch(url, { method: "HEAD" });
    assertEquals(head.status, 200);
    assertEquals(await head.text(), "");

    const query = await fetch(`${url}?x=1`);
    assertEquals(query.status, 200);
    assertStringIncludes(await query.text(), "target_info");
    assertEquals(pipeline.status()[0].exports, 2);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("prometheus exporter rejects a taken port with a ConnectError naming the address", async () => {
  const first = makePipeline([PROM]).pipeline;
  await first.start();
  const port = new URL(first.endpoints[0].url).port;
  const { pipeline: second } = makePipeline([{
    type: "prometheus",
    name: "second",
    listen: `127.0.0.1:${port}`,
  }]);
  try {
    const err = await assertRejects(() => second.start(), ConnectError, `127.0.0.1:${port}`);
    assertEquals(err.endpoint, `127.0.0.1:${port}`);
    assertStringIncludes(err.message, "address already in use");
    assertStringIncludes(err.message, '"second"');
    assertEquals(second.endpoints, []);
  } finally {
    await second.stop();
    await first.stop();
  }
});

Deno.test("prometheus exporter releases listeners it bound when a later one fails", async () => {
  const first = makePipeline([PROM]).pipeline;
  await first.start();
  const port = new URL(first.endpoints[0].url).port;
  const { pipeline } = makePipeline([
    { type: "prometheus", name: "free", listen: "127.0.0.1:0" },
    { type: "prometheus", name: "taken", listen: `127.0.0.1:${port}` },
  ]);
  try {
    await assertRejects(() => pipeline.start(), ConnectError, `127.0.0.1:${port}`);
    assertEquals(pipeline.endpoints, [], "the free listener was closed again");
  } finally {
    await pipeline.stop();
    await first.stop();
  }
});

Deno.test("prometheus exporter answers 500 and counts a failure when rendering fails", async () => {
  const { logger, lines } = captureLogger();
  const stats = new ExporterStats("broken", "prometheus", undefined, logger);
  const endpoint = new PrometheusEndpoint(
    { type: "prometheus", name: "broken", listen: "127.0.0.1:0", path: "/metrics" },
    { platform, logger, stats, render: () => Promise.reject(new Error("collection exploded")) },
  );
  try {
    await endpoint.start();
    await endpoint.start(); // already listening: no second bind
    const res = await fetch(endpoint.url!);
    assertEquals(res.status, 500);
    assertStringIncludes(await res.text(), "collection exploded");
    const s = stats.snapshot();
    assertEquals([s.exports, s.failures, s.lastError, s.endpoint], [
      0,
      1,
      "collection exploded",
      endpoint.url,
    ]);
    assertEquals(lines.map((l) => [l.level, l.msg, l.exporter, l.error]), [
      ["warn", "export failed", "broken", "collection exploded"],
    ]);
  } finally {
    await endpoint.close();
    await endpoint.close();
  }
});

Deno.test("prometheus exporter wraps other listen failures in a ConnectError", async () => {
  const { logger } = captureLogger();
  const endpoint = new PrometheusEndpoint(
    { type: "prometheus", name: "weird", listen: "256.1.1.1:0", path: "/metrics" },
    {
      platform,
      logger,
      stats: new ExporterStats("weird", "prometheus", undefined, logger),
      render: () => Promise.resolve(""),
    },
  );
  const err = await assertRejects(() => endpoint.start(), ConnectError, "256.1.1.1:0");
  assertStringIncludes(err.message, '"weird"');
  assertEquals(endpoint.url, undefined);
});

Deno.test("prometheus exporter brackets IPv6 hosts in its URL", () => {
  assertEquals(listenerUrl("::1", 9464, "/metrics"), "http://[::1]:9464/metrics");
  assertEquals(listenerUrl("127.0.0.1", 9464, "/m"), "http://127.0.0.1:9464/m");
});

Deno.test("prometheus exporter serves each series once when attributes map to the same labels", async (t) => {
  const { pipeline } = makePipeline([PROM]);
  try {
    await pipeline.start();
    const { rejected } = pipeline.write("s", [
      sample("twin.level", 1, "gauge", { "a.b": "1" }),
      sample("twin.level", 2, "gauge", { a_b: "1" }),
      sample("twin.delay", 1, "histogram", { le: "1" }),
      sample("twin.delay", 1, "histogram", { exported_le: "1" }),
      sample("twin.depth", 1, "gauge", { x: "1", "y.z": "" }),
      sample("twin.depth", 2, "gauge", { x: "1" }),
    ]);
    assertEquals(rejected.map((r) => [r.sample.name, r.sample.attributes]), [
      ["twin.level", { a_b: "1" }],
      ["twin.delay", { exported_le: "1" }],
      ["twin.depth", { x: "1" }],
    ]);
    assert(rejected.every((r) => r.reason.includes("are the same Prometheus series")));
    // Another source, and this source's next batch under another spelling.
    assertEquals(
      pipeline.write("t", [sample("twin.level", 3, "gauge", { a_b: "1" })]).rejected.length,
      1,
    );
    pipeline.write("u", [sample("twin.kind", 1, "gauge", { "k.v": "1" })]);
    pipeline.write("u", [sample("twin.kind", 2, "gauge", { k_v: "1" })]);

    const res = await scrape(pipeline.endpoints[0].url);
    assertEquals(res.status, 200);
    const text = parsePromText(res.body); // throws on a duplicate series, empty labels counted as absent
    const ids = text.samples.map((s) =>
      `${s.name}${JSON.stringify(Object.entries(s.labels).filter(([, v]) => v !== "").sort())}`
    );
    assertEquals(ids.length, new Set(ids).size, res.body);
    assertEquals(find(text, "twin_level").map((s) => [s.labels, s.value]), [[{ a_b: "1" }, 1]]);
    assertEquals(find(text, "twin_depth").map((s) => s.value), [1]);
    assertEquals(find(text, "twin_kind").map((s) => [s.labels, s.value]), [[{ k_v: "1" }, 2]]);
    assertEquals(find(text, "twin_delay_count").map((s) => [s.labels, s.value]), [[
      { exported_le: "1" },
      1,
    ]]);
    assertEquals(find(text, "twin_delay_bucket", { le: "+Inf" }).length, 1);
    await assertPromtoolClean(t, res.body);
  } finally {
    await pipeline.stop();
  }
});
