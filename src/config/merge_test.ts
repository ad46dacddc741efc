import { assert, assertEquals } from "./testdata/assert.ts";
import { DESIGN_EXAMPLE, loadFiles } from "./testdata/helpers.ts";
import { parseLayer } from "./layer.ts";
import { Locator, mergeLayers } from "./merge.ts";

const OVERRIDE = `
[custom_metrics]
plugin_directories = ["/srv/plugins"]

[[custom_metrics.sources]]
name = "database_metrics"
interval = "30s"
queries = [
  {name = "active_users", sql = "SELECT 2"},
  {name = "errors", sql = "SELECT 3", otel_type = "counter"},
]

[[custom_metrics.sources]]
name = "api_health"
type = "http"
url = "http://127.0.0.1:8080/health"
`;

Deno.test("composition merges a second file by name and points into the file that wrote each key", async () => {
  const r = await loadFiles({ "base.toml": DESIGN_EXAMPLE, "prod.toml": OVERRIDE });
  assertEquals(r.messages, []);
  const cm = r.config!.custom_metrics;
  // Arrays of plain values are replaced.
  assertEquals(cm.plugin_directories, ["/srv/plugins"]);
  // Untouched keys of the base stay.
  assertEquals(cm.aggregation_window, 300_000);
  assertEquals(cm.sources.map((s) => s.name), ["database_metrics", "api_health"]);
  const db = cm.sources[0];
  assert(db.type === "database");
  assertEquals(db.interval, 30_000);
  assertEquals(db.connection_string, "postgresql://user:pass@localhost/db");
  // Queries merge by name as well: one overridden, one kept, one added.
  assertEquals(db.queries.map((q) => [q.name, q.sql, q.otel_type]), [
    ["active_users", "SELECT 2", "gauge"],
    ["transaction_volume", "SELECT COUNT(*) FROM transactions WHERE created_at > $1", "counter"],
    ["errors", "SELECT 3", "counter"],
  ]);

  const base = `${r.dir}/base.toml`;
  const prod = `${r.dir}/prod.toml`;
  const at = (path: (string | number)[]) => {
    const l = r.locate(path);
    return `${l.file}:${l.line}:${l.col}`;
  };
  assertEquals(at(["custom_metrics", "sources", 0, "interval"]), `${prod}:7:1`);
  assertEquals(at(["custom_metrics", "sources", 0, "connection_string"]), `${base}:8:1`);
  assertEquals(at(["custom_metrics", "sources", 0]), `${base}:5:18`);
  assertEquals(at(["custom_metrics", "sources", 0, "queries", 0, "sql"]), `${prod}:9:27`);
  assertEquals(at(["custom_metrics", "sources", 0, "queries", 1, "params", 0]), `${base}:12:110`);
  assertEquals(at(["custom_metrics", "sources", 0, "queries", 2, "name"]), `${prod}:10:4`);
  assertEquals(at(["custom_metrics", "sources", 1, "url"]), `${prod}:16:1`);
  assertEquals(at(["custom_metrics", "plugin_directories", 0]), `${prod}:3:23`);
  assertEquals(at(["custom_metrics", "aggregators", 0, "window"]), `${base}:19:1`);
  assertEquals(r.files, [base, prod]);
});

Deno.test("composition reports errors in the second file at their place there, after the first file's", async () => {
  const r = await loadFiles({
    "base.toml": DESIGN_EXAMPLE.replace('type = "percentile"', 'type = "percentil"'),
    "prod.toml": OVERRIDE.replace('url = "http', 'ulr = "http'),
  });
  assertEquals(r.messages, [
    'base.toml:17:1: custom_metrics.aggregators[0].type: expected one of "percentile", "stats", "sma", "ewma", ' +
    'found "percentil" (did you mean "percentile"?)',
    'prod.toml:16:1: custom_metrics.sources[1].ulr: unknown key "ulr" (did you mean "url"?)',
  ]);
});

Deno.test("composition removes a named item that a later file disables", async () => {
  const r = await loadFiles({
    "base.toml": DESIGN_EXAMPLE,
    "off.toml": '[[custom_metrics.sources]]\nname = "database_metrics"\nenabled = false\n',
  });
  assertEquals(r.messages, []);
  assertEquals(r.config!.custom_metrics.sources, []);
  assertEquals((r.raw.custom_metrics as { sources: unknown[] }).sources, []);
});

Deno.test("composition warns when a later file disables a name nobody defined", async () => {
  const r = await loadFiles({
    "base.toml": DESIGN_EXAMPLE,
    "off.toml": '[[custom_metrics.sources]]\nname = "databse_metrics"\nenabled = false\n',
  });
  assert(r.ok);
  assertEquals(r.config!.custom_metrics.sources.map((s) => s.name), ["database_metrics"]);
  assertEquals(r.warningMessages, [
    'off.toml:3:1: custom_metrics.sources[0]: no earlier file defines an item named "databse_metrics"; nothing to disable',
  ]);
});

Deno.test("composition keeps a new disabled item that is fully defined", async () => {
  const r = await loadFiles({
    "base.toml": DESIGN_EXAMPLE,
    "more.toml":
      '[[custom_metrics.sources]]\nname = "later"\ntype = "command"\ncommand = ["true"]\nenabled = false\n',
  });
  assertEquals(r.messages, []);
  assertEquals(r.warningMessages, []);
  assertEquals(r.config!.custom_metrics.sources.map((s) => [s.name, s.enabled]), [
    ["database_metrics", true],
    ["later", false],
  ]);
});

Deno.test("composition replaces arrays that are not all named tables, and an empty array clears", async () => {
  const r = await loadFiles({
    "base.toml": DESIGN_EXAMPLE,
    "b.toml": "[custom_metrics]\nsources = []\n[[custom_metrics.aggregators]]\n" +
      'source = "x.y"\ntype = "stats"\nwindow = "1m"\n',
  });
  assertEquals(r.messages, []);
  assertEquals(r.config!.custom_metrics.sources, []);
  // Aggregators have no `name`, so the later list replaces the earlier one.
  assertEquals(r.config!.custom_metrics.aggregators.map((a) => a.source), ["x.y"]);
});

Deno.test("composition lets a later scalar replace a table and a later table replace a scalar", () => {
  const a = parseLayer("a.toml", 'x = { y = 1 }\nz = 2\nlist = [{ name = "n", v = 1 }]\n', "/a")
    .layer!;
  const b = parseLayer("b.toml", 'x = "flat"\n[z]\nw = 3\n[[list]]\nv = 2\n', "/b").layer!;
  const merged = mergeLayers([a, b]);
  assertEquals(merged.doc, { x: "flat", z: { w: 3 }, list: [{ v: 2 }] });
  const locator = new Locator([a, b], merged.origins, { file: "a.toml", baseDir: "/" });
  assertEquals(locator.locate(["z", "w"]), { file: "b.toml", line: 3, col: 1, path: "z.w" });
  assertEquals(locator.locate(["x"]), { file: "b.toml", line: 1, col: 1, path: "x" });
  assertEquals(locator.baseDirOf(["z", "w"]), "/b");
  assertEquals(locator.baseDirOf([]), "/a");
  // The layers themselves are left alone.
  assertEquals(a.doc, { x: { y: 1 }, z: 2, list: [{ name: "n", v: 1 }] });
});

Deno.test("composition deep-merges tables and resolves relative paths per file", async () => {
  const r = await loadFiles({
    "etc/base.toml":
      '[custom_metrics]\nplugin_directories = ["./plugins"]\naggregation_window = "1m"\n',
    "local/extra.toml": '[custom_metrics]\naggregation_window = "2m"\n',
  });
  assertEquals(r.messages, []);
  assertEquals(r.config!.custom_metrics.aggregation_window, 120_000);
  assertEquals(r.config!.custom_metrics.plugin_directories, ["./plugins"]);
  assertEquals(r.baseDirOf(["custom_metrics", "plugin_directories", 0]), `${r.dir}/etc`);
  assertEquals(r.baseDirOf(["custom_metrics", "aggregation_window"]), `${r.dir}/local`);
  assertEquals(r.baseDirOf(["custom_metrics"]), `${r.dir}/etc`);
});

Deno.test("composition does not validate when one file cannot be parsed", async () => {
  const r = await loadFiles({ "a.toml": "[custom_metrics]\nbad = 1\n", "b.toml": "x = [\n" });
  assertEquals(r.messages.length, 1);
  assert(r.messages[0].startsWith("b.toml:2:1: invalid TOML:"), r.messages[0]);
  assertEquals(r.files.length, 2);
  assertEquals(r.raw, { custom_metrics: { bad: 1 } });
});

Deno.test("composition sorts errors by command-line order, not by file name", async () => {
  const r = await loadFiles(
    { "z.toml": "[custom_metrics]\nzz = 1\n", "a.toml": "[custom_metrics]\naa = 1\n" },
    { load: ["z.toml", "a.toml"] },
  );
  assertEquals(r.messages.map((m) => m.split(":")[0]), ["z.toml", "a.toml"]);
});
