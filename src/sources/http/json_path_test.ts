import { assertEquals, assertThrows } from "../../../tests/assert.ts";
import { formatJsonPath, getJsonPath, parseJsonPath } from "./json_path.ts";

Deno.test("parseJsonPath reads keys, indexes and quoted keys", () => {
  assertEquals(parseJsonPath("data.items[0].count"), ["data", "items", 0, "count"]);
  assertEquals(parseJsonPath('$.stats["p99.9"]'), ["stats", "p99.9"]);
  assertEquals(parseJsonPath("$['a b'][-1]"), ["a b", -1]);
  assertEquals(parseJsonPath("[2]"), [2]);
  assertEquals(parseJsonPath("$"), []);
  assertEquals(parseJsonPath("queue-depth"), ["queue-depth"]);
});

Deno.test("parseJsonPath rejects malformed paths with the column", () => {
  const cases: [string, string][] = [
    ["", `invalid path "": expected a key at column 1`],
    ["a..b", `invalid path "a..b": expected a key at column 3`],
    ["a[x]", `invalid path "a[x]": expected an index or a quoted key at column 3`],
    ['a["x]', `invalid path "a[\\"x]": unterminated quoted key at column 3`],
    ["a[1", `invalid path "a[1": expected "]" at column 4`],
    ["$x", `invalid path "$x": unexpected "x" at column 2`],
  ];
  for (const [path, message] of cases) {
    assertEquals(assertThrows(() => parseJsonPath(path), SyntaxError).message, message);
  }
});

Deno.test("formatJsonPath writes segments back as a path", () => {
  assertEquals(formatJsonPath(["data", "items", 0, "p99.9"]), 'data.items[0]["p99.9"]');
  assertEquals(formatJsonPath([]), "$");
  assertEquals(formatJsonPath([1, "a"]), "[1].a");
});

Deno.test("getJsonPath finds values and names the first missing step", () => {
  const doc = { a: [{ b: 2 }, { b: 0 }], n: null, s: "x" };
  assertEquals(getJsonPath(doc, ["a", 0, "b"]), { found: true, value: 2 });
  assertEquals(getJsonPath(doc, ["a", -1, "b"]), { found: true, value: 0 });
  assertEquals(getJsonPath(doc, ["n"]), { found: true, value: null });
  assertEquals(getJsonPath(doc, []), { found: true, value: doc });
  assertEquals(getJsonPath(doc, ["a", 5, "b"]), { found: false, missing: "a[5]" });
  assertEquals(getJsonPath(doc, ["a", "b"]), { found: false, missing: "a.b" });
  assertEquals(getJsonPath(doc, ["s", 0]), { found: false, missing: "s[0]" });
  assertEquals(getJsonPath(doc, ["toString"]), { found: false, missing: "toString" });
});
