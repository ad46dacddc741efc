import { assertEquals } from "../../tests/assert.ts";
import { parsePrometheusText } from "./prometheus_text.ts";

Deno.test("parsePrometheusText maps types, labels, help and timestamps", () => {
  const text = [
    "# HELP jobs_total Jobs done.\\nSecond line with \\\\ backslash",
    "# TYPE jobs_total counter",
    'jobs_total{queue="a",path="C:\\\\tmp",msg="say \\"hi\\"\\nbye"} 7 1700000000000',
    "# TYPE temp gauge",
    "temp -3.5e1",
    "# a plain comment",
    'untyped_thing{ a = "1" , } 2',
    "# EOF",
  ].join("\n");
  const r = parsePrometheusText(text);
  assertEquals(r.errors, []);
  assertEquals(r.samples, [
    {
      name: "jobs_total",
      value: 7,
      type: "counter",
      attributes: { queue: "a", path: "C:\\tmp", msg: 'say "hi"\nbye' },
      description: "Jobs done.\nSecond line with \\ backslash",
      timestamp: 1700000000000,
    },
    { name: "temp", value: -35, type: "gauge" },
    { name: "untyped_thing", value: 2, attributes: { a: "1" } },
  ]);
});

Deno.test("parsePrometheusText maps histogram and summary series to Sextant-style names", () => {
  const text = [
    "# HELP rt Request time.",
    "# TYPE rt histogram",
    'rt_bucket{route="/a",le="0.1"} 3',
    'rt_bucket{route="/a",le="+Inf"} 5',
    'rt_sum{route="/a"} 1.25',
    'rt_count{route="/a"} 5',
    "rt_bucket 9",
    "# TYPE lat summary",
    'lat{quantile="0.5"} 0.2',
    'lat{quantile="0.999"} 0.9',
    'lat{quantile="0.99"} NaN',
    "lat_sum 4",
    "lat_count 20",
    "lat_bucket 1",
    "lat 3",
    'lat{quantile="1.5"} 3',
  ].join("\n");
  const r = parsePrometheusText(text);
  assertEquals(r.samples.map((s) => [s.name, s.value, s.type, s.attributes]), [
    ["rt.bucket", 3, "counter", { route: "/a", upper_bound: "0.1" }],
    ["rt.bucket", 5, "counter", { route: "/a", upper_bound: "+Inf" }],
    ["rt.sum", 1.25, "counter", { route: "/a" }],
    ["rt.count", 5, "counter", { route: "/a" }],
    ["lat.p50", 0.2, "gauge", undefined],
    ["lat.p99.9", 0.9, "gauge", undefined],
    ["lat.sum", 4, "counter", undefined],
    ["lat.count", 20, "counter", undefined],
    ["lat_bucket", 1, undefined, undefined],
  ]);
  assertEquals(r.samples[0].description, "Request time.");
  assertEquals(r.errors, [
    { line: 7, message: `"rt_bucket": histogram bucket without "le"` },
    { line: 15, message: `"lat": summary sample without "quantile"` },
    { line: 16, message: `"lat": expected "quantile" between 0 and 1, found "1.5"` },
  ]);
});

Deno.test("parsePrometheusText skips NaN and reports infinite values", () => {
  const r = parsePrometheusText("a NaN\nb +Inf\nc -inf\nd 1\n");
  assertEquals(r.samples, [{ name: "d", value: 1 }]);
  assertEquals(r.errors, [
    { line: 2, message: `"b": value +Inf is not finite` },
    { line: 3, message: `"c": value -inf is not finite` },
  ]);
});

Deno.test("parsePrometheusText reports every kind of bad line and keeps the good ones", () => {
  const text = [
    "ok 1",
    "9bad 1",
    "nolabelvalue{a=1} 1",
    'unterminated{a="x} 1',
    'badescape{a="\\t"} 1',
    'dup{a="1",a="2"} 1',
    'reserved{__name__="x"} 1',
    "novalue",
    "notnum abc",
    "extra 1 2 3",
    "badts 1 1.5",
    "rec:rule 1",
    "# TYPE t meter",
    "# TYPE ok gauge",
    "# TYPE ok gauge",
    "# HELP 9x text",
    "weird$ 1",
    'nocomma{a="1" b="2"} 1',
    'nolabelname{="1"} 1',
    'noeq{a "1"} 1',
    "also_ok 2",
  ].join("\n");
  const r = parsePrometheusText(text);
  assertEquals(r.samples.map((s) => s.name), ["ok", "also_ok"]);
  assertEquals(r.errors, [
    { line: 2, message: 'expected a metric name, found "9bad 1"' },
    { line: 3, message: `"nolabelvalue": expected a quoted value for label "a"` },
    { line: 4, message: `"unterminated": unterminated value of label "a"` },
    { line: 5, message: `"badescape": invalid escape "\\t" in label "a"` },
    { line: 6, message: `"dup": duplicate label "a"` },
    {
      line: 7,
      message:
        `"reserved": invalid attribute key "__name__": a key starts with a letter or '_' (not '__') and holds letters, digits, '_' or '.'`,
    },
    { line: 8, message: `"novalue": missing value` },
    { line: 9, message: `"notnum": expected a number, found "abc"` },
    { line: 10, message: `"extra": unexpected text after the timestamp: "3"` },
    { line: 11, message: `"badts": expected a timestamp in milliseconds, found "1.5"` },
    {
      line: 12,
      message:
        `invalid metric name "rec:rule": a name starts with a letter and holds letters, digits, '_', '.', '-' or '/' (at most 255)`,
    },
    {
      line: 13,
      message:
        `# TYPE t: expected one of counter, gauge, histogram, summary, untyped, found "meter"`,
    },
    { line: 15, message: "# TYPE ok: a second TYPE line for the same metric" },
    { line: 16, message: `# HELP: invalid metric name "9x"` },
    { line: 17, message: `"weird": unexpected "$" after the metric name` },
    { line: 18, message: `"nocomma": expected "," or "}" after label "a"` },
    { line: 19, message: `"nolabelname": expected a label name at column 13` },
    { line: 20, message: `"noeq": expected "=" after label "a"` },
  ]);
});

Deno.test("parsePrometheusText handles CRLF line ends and a line cap", () => {
  const r = parsePrometheusText("a 1\r\nb 2\r\nc 3\r\n", { maxLines: 2 });
  assertEquals(r.samples, [{ name: "a", value: 1 }, { name: "b", value: 2 }]);
  assertEquals(r.errors, [{ line: 3, message: "more than 2 lines; the rest was ignored" }]);
});

Deno.test("parsePrometheusText takes labels named like Object.prototype members as plain labels", () => {
  const r = parsePrometheusText(
    [
      'up{constructor="a",toString="b",hasOwnProperty="c",valueOf="d"} 1',
      'dup{constructor="a",constructor="b"} 1',
      'proto{__proto__="x"} 1',
    ].join("\n"),
  );
  assertEquals(r.samples, [{
    name: "up",
    value: 1,
    attributes: { constructor: "a", toString: "b", hasOwnProperty: "c", valueOf: "d" },
  }]);
  assertEquals(r.errors, [
    { line: 2, message: `"dup": duplicate label "constructor"` },
    {
      line: 3,
      message:
        `"proto": invalid attribute key "__proto__": a key starts with a letter or '_' (not '__') and holds letters, digits, '_' or '.'`,
    },
  ]);
});

Deno.test("parsePrometheusText accepts timestamps from 2000 to 2100 only", () => {
  const r = parsePrometheusText(
    ["a 1 946684800000", "b 1 4102444799999", "c 1 1", "d 1 -5", "e 1 4102444800000"].join("\n"),
  );
  assertEquals(r.samples, [
    { name: "a", value: 1, timestamp: Date.UTC(2000, 0, 1) },
    { name: "b", value: 1, timestamp: Date.UTC(2100, 0, 1) - 1 },
  ]);
  const range = (name: string, found: string) =>
    `"${name}": expected a timestamp in milliseconds between 2000-01-01 and 2100-01-01, found "${found}"`;
  assertEquals(r.errors, [
    { line: 3, message: range("c", "1") },
    { line: 4, message: range("d", "-5") },
    { line: 5, message: range("e", "4102444800000") },
  ]);
});
