import { assert, assertEquals, assertMatch, waitFor } from "../../tests/assert.ts";
import type { ConsoleJsonLine } from "./console_exporter.ts";
import { makePipeline, sample } from "./testdata/helpers.ts";

const TS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

Deno.test("console exporter prints one text line per series", async () => {
  const { pipeline, printed } = makePipeline([{ type: "console" }]);
  try {
    await pipeline.start();
    pipeline.write("db", [
      sample("db.active_users", 42, "gauge", { db: 'ma"in' }),
      sample("db.tx", 7, "counter"),
      sample("db.depth", -2, "updowncounter", { q: "a", b: "x" }),
      sample("api.lat", 3, "histogram", {}, { unit: "ms" }),
      sample("api.lat", 30, "histogram", {}, { unit: "ms" }),
    ]);
    await pipeline.flush();
    assertEquals(printed.length, 4);
    assertMatch(printed[0], new RegExp(`^${TS} gauge db\\.active_users\\{db="ma\\\\"in"\\} 42$`));
    assertMatch(printed[1], new RegExp(`^${TS} counter db\\.tx\\{\\} 7$`));
    assertMatch(printed[2], new RegExp(`^${TS} updowncounter db\\.depth\\{b="x",q="a"\\} -2$`));
    assertMatch(
      printed[3],
      new RegExp(
        `^${TS} histogram api\\.lat\\{\\} count=2 sum=33 min=3 max=30 buckets=0:0,5:1,10:1,25:1,50:2,\\+Inf:2 ms$`,
      ),
    );
    assertEquals(pipeline.status()[0].exports, 1);
  } finally {
    await pipeline.stop();
  }
});

Deno.test("console exporter prints JSON lines in the shape of once --format json samples", async () => {
  const { pipeline, printed } = makePipeline([{ type: "console", format: "json" }]);
  try {
    await pipeline.start();
    const before = Date.now();
    pipeline.write("db", [
      sample("db.active_users", 42, "gauge", { db: "main" }, { unit: "{user}" }),
      sample("api.lat", 0.2, "histogram", { r: "/" }, { unit: "s" }),
    ]);
    await pipeline.flush();
    const lines = printed.map((l) => JSON.parse(l) as ConsoleJsonLine);
    assertEquals(lines.length, 2);
    const [gauge, hist] = lines;
    assert(
      gauge.timestamp >= before - 1000 && gauge.timestamp <= Date.now() + 1000,
      "timestamp is unix ms",
    );
    assertEquals({ ...gauge, timestamp: 0 }, {
      name: "db.active_users",
      type: "gauge",
      value: 42,
      attributes: { db: "main" },
      timestamp: 0,
      unit: "{user}",
    });
    assertEquals(hist.type, "histogram");
    assertEquals(hist.unit, "s");
    const h = hist.value as Exclude<ConsoleJsonLine["value"], number>;
    assertEquals([h.count, h.sum, h.min, h.max], [1, 0.2, 0.2, 0.2]);
    // Histograms in seconds get second-sized buckets.
    assertEquals(h.buckets.map((b) => b.le).slice(0, 3), [0.005, 0.01, 0.025]);
    assertEquals(h.buckets.find((b) => b.le === 0.25)!.count, 1);
    assertEquals(h.buckets.find((b) => b.le === 0.1)!.count, 0);
    assertEquals(h.buckets[h.buckets.length - 1], { le: "+Inf", count: 1 });
  } finally {
    await pipeline.stop();
  }
});

Deno.test("console exporter prints periodically once started", async () => {
  const { pipeline, printed } = makePipeline([{ type: "console", interval: "100ms" }]);
  try {
    pipeline.write("db", [sample("db.rows", 1)]);
    await pipeline.start();
    await waitFor(() => printed.length >= 2, "two periodic prints", 5000);
    assert(printed.every((l) => l.endsWith("gauge db.rows{} 1")), printed.join("\n"));
  } finally {
    await pipeline.stop();
  }
});

Deno.test("console exporter prints nothing before start and on stop without start", async () => {
  const { pipeline, printed } = makePipeline([{ type: "console", interval: "100ms" }]);
  pipeline.write("db", [sample("db.rows", 1)]);
  await pipeline.stop();
  assertEquals(printed, []);
});

Deno.test("console exporter prints the final state on stop", async () => {
  const { pipeline, printed } = makePipeline([{ type: "console" }]);
  await pipeline.start();
  pipeline.write("db", [sample("db.rows", 5)]);
  await pipeline.stop();
  assertEquals(printed.length, 1);
  assert(printed[0].endsWith("gauge db.rows{} 5"));
});

Deno.test("console exporter counts a failing sink as a failure", async () => {
  const { pipeline, lines } = makePipeline([{ type: "console", name: "stdout" }], {
    writeConsole: () => {
      throw new Error("EPIPE: broken pipe");
    },
  });
  try {
    await pipeline.start();
    pipeline.write("db", [sample("db.rows", 1)]);
    await pipeline.flush();
    const [s] = pipeline.status();
    assertEquals([s.name, s.exports, s.failures, s.lastError], [
      "stdout",
      0,
      1,
      "EPIPE: broken pipe",
    ]);
    assertEquals(lines.filter((l) => l.msg === "export failed").map((l) => l.exporter), ["stdout"]);
  } finally {
    await pipeline.stop();
  }
});
