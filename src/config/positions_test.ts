import { assert, assertEquals } from "./testdata/assert.ts";
import { type Path, PositionMap, scanPositions } from "./positions.ts";
import { DESIGN_EXAMPLE, textAt } from "./testdata/helpers.ts";

/** Asserts that each path's position shows the expected text. */
function expectAt(text: string, cases: [Path, string][]): void {
  const map = scanPositions(text);
  for (const [path, expected] of cases) {
    const shown = textAt(text, map.get(path));
    assert(
      shown.startsWith(expected),
      `${JSON.stringify(path)}: expected ${JSON.stringify(expected)}, at ${JSON.stringify(shown)}`,
    );
  }
}

Deno.test("scanPositions locates every key of the DESIGN.md example", () => {
  const map = scanPositions(DESIGN_EXAMPLE);
  assertEquals(map.get(["custom_metrics"]), { line: 1, col: 2 });
  assertEquals(map.get(["custom_metrics", "aggregation_window"]), { line: 3, col: 1 });
  assertEquals(map.get(["custom_metrics", "sources", 0]), { line: 5, col: 18 });
  assertEquals(map.get(["custom_metrics", "sources", 0, "queries", 1, "params", 0]), {
    line: 12,
    col: 110,
  });
  expectAt(DESIGN_EXAMPLE, [
    [["custom_metrics", "plugin_directories"], "plugin_directories ="],
    [["custom_metrics", "plugin_directories", 1], '"./local_plugins"'],
    [["custom_metrics", "sources"], "sources]]"],
    [["custom_metrics", "sources", 0, "name"], 'name = "database_metrics"'],
    [["custom_metrics", "sources", 0, "interval"], "interval = 60"],
    [["custom_metrics", "sources", 0, "queries"], "queries = ["],
    [["custom_metrics", "sources", 0, "queries", 0], '{name = "active_users"'],
    [["custom_metrics", "sources", 0, "queries", 0, "otel_type"], 'otel_type = "gauge"'],
    [["custom_metrics", "sources", 0, "queries", 1], '{name = "transaction_volume"'],
    [["custom_metrics", "sources", 0, "queries", 1, "name"], 'name = "transaction_volume"'],
    [["custom_metrics", "sources", 0, "queries", 1, "params"], 'params = ["1h_ago"]'],
    [["custom_metrics", "sources", 0, "queries", 1, "params", 0], '"1h_ago"'],
    [["custom_metrics", "sources", 0, "queries", 1, "otel_type"], 'otel_type = "counter"'],
    [["custom_metrics", "aggregators", 0], "aggregators]]"],
    [["custom_metrics", "aggregators", 0, "percentiles", 2], "99]"],
    [["custom_metrics", "aggregators", 0, "window"], 'window = "5m"'],
  ]);
});

Deno.test("scanPositions numbers repeated array-of-tables headers and nests them per parent", () => {
  const text = [
    "[[fruits]]", // 1
    'name = "apple"',
    "[fruits.physical]", // 3
    'color = "red"',
    "[[fruits.varieties]]", // 5
    'name = "red delicious"',
    "[[fruits.varieties]]", // 7
    'name = "granny smith"',
    "[[fruits]]", // 9
    'name = "banana"',
    "[[fruits.varieties]]", // 11
    'name = "plantain"',
  ].join("\n");
  const map = scanPositions(text);
  assertEquals(map.get(["fruits"]), { line: 1, col: 3 });
  assertEquals(map.get(["fruits", 0]), { line: 1, col: 3 });
  assertEquals(map.get(["fruits", 1]), { line: 9, col: 3 });
  assertEquals(map.get(["fruits", 0, "physical"]), { line: 3, col: 9 });
  assertEquals(map.get(["fruits", 0, "physical", "color"]), { line: 4, col: 1 });
  assertEquals(map.get(["fruits", 0, "varieties", 1]), { line: 7, col: 10 });
  assertEquals(map.get(["fruits", 0, "varieties", 1, "name"]), { line: 8, col: 1 });
  assertEquals(map.get(["fruits", 1, "varieties", 0, "name"]), { line: 12, col: 1 });
  assertEquals(map.get(["fruits", 1, "varieties", 1]), undefined);
  assertEquals(map.get(["fruits", 1, "name"]), { line: 10, col: 1 });
});

Deno.test("scanPositions handles dotted, quoted and spaced keys", () => {
  const text = [
    "[ server . tls ]",
    "a.b.c = 1",
    "site . 'google.com' = true",
    '"quoted \\"key\\"" = 2',
    '"\\u00e9t\\u00E9" = 3',
    "'' = 4",
    '"tab\\there" = 5',
    "bare-key_1 = 6",
  ].join("\n");
  expectAt(text, [
    [["server"], "server . tls"],
    [["server", "tls"], "tls ]"],
    [["server", "tls", "a"], "a.b.c"],
    [["server", "tls", "a", "b"], "b.c"],
    [["server", "tls", "a", "b", "c"], "c = 1"],
    [["server", "tls", "site", "google.com"], "'google.com' = true"],
    [["server", "tls", 'quoted "key"'], '"quoted'],
    [["server", "tls", "été"], '"\\u00e9t'],
    [["server", "tls", ""], "'' = 4"],
    [["server", "tls", "tab\there"], '"tab\\there"'],
    [["server", "tls", "bare-key_1"], "bare-key_1"],
  ]);
});

Deno.test("scanPositions prefers an explicit table header over an implied one", () => {
  const text = "[a.b]\nx = 1\n\n[a]\ny = 2\n";
  const map = scanPositions(text);
  assertEquals(map.get(["a"]), { line: 4, col: 2 });
  assertEquals(map.get(["a", "b"]), { line: 1, col: 4 });
  // Dotted keys imply tables too; the first mention stays.
  const dotted = scanPositions("p.q = 1\np.r = 2\n");
  assertEquals(dotted.get(["p"]), { line: 1, col: 1 });
  assertEquals(dotted.get(["p", "r"]), { line: 2, col: 3 });
});

Deno.test("scanPositions locates inline tables, nested arrays and arrays of inline tables", () => {
  const text = [
    'point = { x = 1, y = { z = [1, [2, 3]] }, "k.k" = "v" }',
    'queries = [{name = "a"}, {name = "b", tags = ["x", "y"]}]',
    "empty = []",
    "nested = [[], [{ deep = 1 }]]",
  ].join("\n");
  expectAt(text, [
    [["point", "x"], "x = 1"],
    [["point", "y", "z"], "z = [1"],
    [["point", "y", "z", 1], "[2, 3]"],
    [["point", "y", "z", 1, 1], "3]"],
    [["point", "k.k"], '"k.k"'],
    [["queries", 1], '{name = "b"'],
    [["queries", 1, "name"], 'name = "b"'],
    [["queries", 1, "tags", 1], '"y"]'],
    [["empty"], "empty"],
    [["nested", 1, 0, "deep"], "deep = 1"],
  ]);
  assertEquals(scanPositions(text).get(["empty", 0]), undefined);
});

Deno.test("scanPositions skips multi-line strings, comments and brackets inside strings", () => {
  const text = [
    "# [not.a.table]",
    'a = """',
    "[fake]",
    'fake = "x" # not a comment',
    '""" # a comment with ] and [',
    "b = '''",
    "literal [still] ''' = no",
    "'''",
    'c = "x # y ] } ["  # trailing',
    'd = """quote at end"""""',
    "e = '[[x]]'",
    "f = '''two quotes'''''",
    'g = "esc \\" quote" ',
    "[real]",
    "ok = 1",
  ].join("\n");
  const map = scanPositions(text);
  assertEquals(map.get(["fake"]), undefined);
  assertEquals(map.get(["x"]), undefined);
  assertEquals(map.get(["a"]), { line: 2, col: 1 });
  assertEquals(map.get(["b"]), { line: 6, col: 1 });
  expectAt(text, [
    [["c"], "c = "],
    [["d"], "d = "],
    [["e"], "e = "],
    [["f"], "f = "],
    [["g"], "g = "],
    [["real"], "real]"],
    [["real", "ok"], "ok = 1"],
  ]);
});

Deno.test("scanPositions handles multi-line arrays and inline tables with comments and trailing commas", () => {
  const text = [
    "ports = [ # web",
    "  80,",
    "  # tls below",
    "  443, ",
    "]",
    "opts = {",
    "  retries = 3, # TOML 1.1",
    "  backoff = { base = 1.5 },",
    "}",
    "after = true",
  ].join("\n");
  expectAt(text, [
    [["ports", 0], "80,"],
    [["ports", 1], "443,"],
    [["opts", "retries"], "retries = 3"],
    [["opts", "backoff", "base"], "base = 1.5"],
    [["after"], "after = true"],
  ]);
  assertEquals(scanPositions(text).get(["ports", 2]), undefined);
});

Deno.test("scanPositions skips every kind of scalar, including dates with a space", () => {
  const text = [
    "when = [1979-05-27 07:32:00Z, 1979-05-27T00:32:00.999999-07:00, 1979-05-27, 07:32:00]",
    "nums = [+1_000, -3.14, 5e+22, inf, -inf, nan, 0xDEAD_BEEF, 0o755, 0b1101, true, false]",
    "local = 1979-05-27 07:32:00 # comment",
    "next = 1",
  ].join("\n");
  expectAt(text, [
    [["when", 1], "1979-05-27T00:32"],
    [["when", 3], "07:32:00]"],
    [["nums", 4], "-inf"],
    [["nums", 10], "false]"],
    [["next"], "next = 1"],
  ]);
});

Deno.test("scanPositions counts columns in code points and handles CRLF", () => {
  const text = 'name = "é😀"\r\nx = { a = "😀😀", b = 1 }\r\n[t]\r\ny = 2\r\n';
  const map = scanPositions(text);
  assertEquals(map.get(["x", "b"]), { line: 2, col: 17 });
  assertEquals(map.get(["t", "y"]), { line: 4, col: 1 });
});

Deno.test("scanPositions counts columns along a one-line array of 200,000 items in linear time", () => {
  const n = 200_000;
  const items = Array.from({ length: n }, (_, i) => (i % 2 ? '"😀"' : "1"));
  const text = `x = [${items.join(",")}]\ny = [{ a = "😀" }, { b = 1 }]\n`;
  const started = performance.now();
  const map = scanPositions(text);
  const ms = performance.now() - started;
  // Each item is followed by a comma; "😀" is one code point (two UTF-16 units).
  const col = (i: number) => 6 + Math.floor(i / 2) * 6 + (i % 2) * 2;
  for (const i of [0, 1, 2, 3, 1_001, n - 2, n - 1]) {
    assertEquals(map.get(["x", i]), { line: 1, col: col(i) }, `x[${i}]`);
  }
  assertEquals(map.get(["x", n]), undefined);
  assertEquals(map.get(["y", 1, "b"]), { line: 2, col: 21 });
  assert(ms < 5_000, `took ${Math.round(ms)} ms`);
});

Deno.test("PositionMap.nearest falls back to the closest recorded ancestor, then 1:1", () => {
  const map = scanPositions("[a]\nb = { c = 1 }\n");
  assertEquals(map.nearest(["a", "b", "missing", 3]), { line: 2, col: 1 });
  assertEquals(map.nearest(["zzz"]), { line: 1, col: 1 });
  assertEquals(map.nearest([]), { line: 1, col: 1 });
  assertEquals(map.size, 3);
  const empty = new PositionMap();
  empty.set(["k"], { line: 2, col: 2 }, false);
  empty.set(["k"], { line: 3, col: 3 }, false);
  assertEquals(empty.get(["k"]), { line: 2, col: 2 });
  empty.set(["k"], { line: 4, col: 4 });
  assertEquals(empty.get(["k"]), { line: 4, col: 4 });
});

Deno.test("PositionMap keeps the first position of an array element, also out of order", () => {
  const map = new PositionMap();
  map.set(["a", 0], { line: 1, col: 1 });
  map.set(["a", 0], { line: 9, col: 9 });
  map.set(["a", 2], { line: 3, col: 3 });
  map.set(["a", 2], { line: 9, col: 9 });
  map.set(["a", 1], { line: 2, col: 2 });
  assertEquals([0, 1, 2, 3].map((i) => map.get(["a", i])), [
    { line: 1, col: 1 },
    { line: 2, col: 2 },
    { line: 3, col: 3 },
    undefined,
  ]);
  assertEquals(map.size, 3);
});
