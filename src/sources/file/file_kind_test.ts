import { assert, assertEquals, assertMatch } from "../../../tests/assert.ts";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { CollectError } from "../../core/mod.ts";
import { fileKind, formatOfPath } from "./mod.ts";
import {
  configFor,
  RecordingAccumulator,
  schemaIssues,
  testDeps,
} from "../../../tests/support/source_harness.ts";

async function collectOnce(table: Record<string, unknown>, baseDir: string) {
  const deps = testDeps(baseDir);
  const source = fileKind.create(configFor(fileKind, table), deps);
  const acc = new RecordingAccumulator();
  const signal = new AbortController().signal;
  await source.start(signal);
  await source.collect(acc, signal);
  await source.stop();
  await source.stop();
  return acc;
}

function messages(acc: RecordingAccumulator): string[] {
  return acc.errors.map((e) => (e.err as Error).message);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("fileKind parses a .prom file as Prometheus text, relative to the config's directory", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/m.prom`, "# TYPE jobs gauge\njobs 3\n");
    const acc = await collectOnce({ path: "m.prom" }, dir);
    assertEquals(acc.errors, []);
    assertEquals(acc.samples, [{ name: "jobs", value: 3, type: "gauge" }]);
  });
});

Deno.test("fileKind parses .json and .jsonl files as JSON samples", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.jsonl`, '{"name":"a","value":1}\n{"name":"b","value":2}\n');
    await Deno.writeTextFile(`${dir}/b.json`, JSON.stringify([{ name: "c", value: 3 }], null, 2));
    assertEquals((await collectOnce({ path: "a.jsonl" }, dir)).samples, [{
      name: "a",
      value: 1,
    }, {
      name: "b",
      value: 2,
    }]);
    assertEquals((await collectOnce({ path: `${dir}/b.json` }, "/")).samples, [{
      name: "c",
      value: 3,
    }]);
  });
});

Deno.test("fileKind detects a bare number by content and names it after metric", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/depth`, "12.5\n");
    assertEquals((await collectOnce({ path: "depth", metric: "depth" }, dir)).samples, [{
      name: "depth",
      value: 12.5,
    }]);
  });
});

Deno.test("fileKind honours an explicit format over the extension", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/x.json`, "7\n");
    assertEquals((await collectOnce({ path: "x.json", format: "number" }, dir)).samples, [{
      name: "value",
      value: 7,
    }]);
  });
});

Deno.test("fileKind reports bad lines by line number and keeps the good ones", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/m.prom`, "a 1\ngarbage line here\nb 2\n");
    const acc = await collectOnce({ name: "tf", path: "m.prom" }, dir);
    assertEquals(acc.samples.map((s) => s.name), ["a", "b"]);
    assertEquals(acc.failed, false, "bad lines are item errors");
    assertEquals(acc.errors.map((e) => e.item), ["line 2"]);
    assert(acc.errors[0].err instanceof CollectError);
    assertEquals(
      messages(acc)[0],
      `file source "tf": "${dir}/m.prom" line 2 (prometheus): "garbage": expected a number, found "line"`,
    );
  });
});

Deno.test("fileKind reports the first 10 bad lines and sums up the rest in one error", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/m.prom`, "ok 1\n" + "garbage!\n".repeat(50_000));
    const acc = await collectOnce({ name: "tf", path: "m.prom" }, dir);
    assertEquals(acc.samples, [{ name: "ok", value: 1 }]);
    assertEquals(acc.errors.length, 11);
    assert(acc.errors.every((e) => e.err instanceof CollectError && e.err.source === "tf"));
    assertEquals(
      acc.errors.map((e) => e.item),
      [...Array.from({ length: 10 }, (_, i) => `line ${i + 2}`), "more lines"],
    );
    assertEquals(
      messages(acc)[0],
      `file source "tf": "${dir}/m.prom" line 2 (prometheus): "garbage": unexpected "!" after the metric name`,
    );
    assertEquals(
      messages(acc)[10],
      `file source "tf": "${dir}/m.prom" (prometheus): ... and 49990 more invalid lines`,
    );
  });
});

Deno.test("fileKind reports a missing file naming its path", async () => {
  await withDir(async (dir) => {
    const acc = await collectOnce({ name: "tf", path: "nope.prom" }, dir);
    assertEquals(acc.samples, []);
    assertEquals(acc.failed, true);
    assert(acc.errors[0].err instanceof CollectError);
    assertEquals((acc.errors[0].err as CollectError).source, "tf");
    assertEquals(messages(acc), [`file source "tf": file not found: "${dir}/nope.prom"`]);
    assertEquals(acc.errors[0].item, `${dir}/nope.prom`);
  });
});

Deno.test("fileKind refuses a directory and a file over max_size", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/big.prom`, "a 1\n".repeat(100));
    assertEquals(messages(await collectOnce({ name: "tf", path: "sub" }, dir)), [
      `file source "tf": "${dir}/sub" is not a regular file`,
    ]);
    assertEquals(
      messages(await collectOnce({ name: "tf", path: "big.prom", max_size: 100 }, dir)),
      [
        `file source "tf": "${dir}/big.prom" is larger than max_size (100 bytes): 400 bytes`,
      ],
    );
  });
});

Deno.test({
  name: "fileKind reports a file it cannot read",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // /proc/self/mem stats as a regular file of size 0, and reading it from offset 0 fails with EIO.
    const acc = await collectOnce({ name: "tf", path: "/proc/self/mem" }, "/");
    assertEquals(acc.samples, []);
    assert(acc.errors[0].err instanceof CollectError);
    assertMatch(messages(acc)[0], /^file source "tf": cannot read "\/proc\/self\/mem": .+/);
  },
});

Deno.test("fileKind does not read once the signal has aborted", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/m.prom`, "a 1\n");
    const source = fileKind.create(configFor(fileKind, { path: "m.prom" }), testDeps(dir));
    const acc = new RecordingAccumulator();
    await source.collect(acc, AbortSignal.abort());
    assertEquals([acc.samples, acc.errors], [[], []]);
  });
});

Deno.test("formatOfPath maps extensions to formats", () => {
  assertEquals(formatOfPath("/a/b.PROM"), "prometheus");
  assertEquals(formatOfPath("x.ndjson"), "json");
  assertEquals(formatOfPath("x.txt"), undefined);
});

Deno.test("fileKind schema rejects bad fields and fills defaults", () => {
  assertEquals(schemaIssues(fileKind, { path: "" }), ["path: expected a file path"]);
  assertMatch(schemaIssues(fileKind, { path: "a", format: "csv" })[0], /^format: /);
  assertMatch(schemaIssues(fileKind, { path: "a", max_size: 0 })[0], /^max_size: /);
  const c = configFor(fileKind, { path: "a" });
  assertEquals([c.format, c.metric, c.max_size], ["auto", "value", 1_048_576]);
});

Deno.test("fileKind sample.toml parses, validates and reads its test files", async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const doc = parseToml(await Deno.readTextFile(`${here}/sample.toml`)) as {
    custom_metrics: { sources: Record<string, unknown>[] };
  };
  assertEquals(doc.custom_metrics.sources.length, 2);
  for (const table of doc.custom_metrics.sources) {
    assertEquals(schemaIssues(fileKind, table), []);
  }
  // Fixtures stand in for the files the sample names.
  const backup = await collectOnce(doc.custom_metrics.sources[0], `${here}/testdata`);
  assertEquals(backup.errors, []);
  assertEquals(backup.samples.map((s) => [s.name, s.value, s.type]), [
    ["last_success_timestamp_seconds", 1700000000, "gauge"],
    ["bytes_written_total", 52428800, "counter"],
  ]);
  const queue = await collectOnce({
    ...doc.custom_metrics.sources[1],
    path: "metrics/queue_depth.txt",
  }, `${here}/testdata`);
  assertEquals(queue.samples, [{ name: "depth", value: 17 }]);
});

Deno.test("fileKind README shows sample.toml", async () => {
  const sample = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  assert(readme.includes(sample.slice(sample.indexOf("[[custom_metrics.sources]]")).trim()));
});
