import { assertEquals, assertMatch, assertThrows } from "../../tests/assert.ts";
import {
  coerceNumber,
  detectFormat,
  parseJsonSamples,
  parseNumber,
  parseOutput,
  parsePrometheusText,
} from "./formats.ts";

Deno.test("coerceNumber accepts numbers, numeric strings and booleans", () => {
  assertEquals(coerceNumber(3.5), { ok: true, value: 3.5 });
  assertEquals(coerceNumber(" -1e3 "), { ok: true, value: -1000 });
  assertEquals(coerceNumber(false), { ok: true, value: 0 });
  assertEquals(coerceNumber(10n), { ok: true, value: 10 });
});

Deno.test("coerceNumber rejects non-finite and non-numeric values with a message", () => {
  assertEquals(coerceNumber("n/a"), { ok: false, message: 'expected a number, found "n/a"' });
  assertEquals(coerceNumber(NaN), {
    ok: false,
    message: "expected a finite number, found NaN",
  });
  assertEquals(coerceNumber("1e999"), {
    ok: false,
    message: 'expected a finite number, found "1e999"',
  });
  assertEquals(coerceNumber(null), { ok: false, message: "expected a number, found null" });
  assertEquals(coerceNumber({ a: 1 }), {
    ok: false,
    message: "expected a number, found an object",
  });
  assertEquals(coerceNumber([1]), { ok: false, message: "expected a number, found an array" });
  assertEquals(coerceNumber(undefined), {
    ok: false,
    message: "expected a number, found nothing",
  });
  assertEquals(coerceNumber(""), { ok: false, message: 'expected a number, found ""' });
  assertEquals(coerceNumber("0x10"), { ok: false, message: 'expected a number, found "0x10"' });
});

Deno.test("parseNumber reads one number under the given name", () => {
  assertEquals(parseNumber("  42\n", { name: "queue_depth" }), {
    samples: [{ name: "queue_depth", value: 42 }],
    errors: [],
  });
  assertEquals(parseNumber("true").samples, [{ name: "value", value: 1 }]);
});

Deno.test("parseNumber reports empty text, garbage and extra lines", () => {
  assertEquals(parseNumber(" \n"), {
    samples: [],
    errors: [{ line: 1, message: "expected a number, found empty output" }],
  });
  assertEquals(parseNumber("abc").errors, [{
    line: 1,
    message: 'expected a number, found "abc"',
  }]);
  assertEquals(parseNumber("\n7\n8\n"), {
    samples: [{ name: "value", value: 7 }],
    errors: [{ line: 3, message: 'expected a single number, found more output: "8"' }],
  });
});

Deno.test("parseNumber rejects an invalid sample name up front", () => {
  assertThrows(
    () => parseNumber("1", { name: "9x" }),
    TypeError,
    `Cannot parse a number as 'name' must be a valid metric name: current value is "9x"`,
  );
});

Deno.test("parseJsonSamples keeps valid lines and reports bad ones by line", () => {
  const text = [
    '{"name":"jobs","value":3,"attributes":{"queue":"a","n":2,"ok":true},"type":"counter","unit":"1"}',
    "",
    "not json",
    '{"name":"lag","value":"1.5","timestamp":1700000000000,"description":"replication lag"}',
    '{"name":"bad name","value":1}',
    '{"name":"x","value":"NaN"}',
    "42",
    '{"name":"t","value":true,"timestamp":"2024-01-02T03:04:05Z"}',
  ].join("\n");
  const r = parseJsonSamples(text);
  assertEquals(r.samples, [
    {
      name: "jobs",
      value: 3,
      attributes: { queue: "a", n: "2", ok: "true" },
      type: "counter",
      unit: "1",
    },
    { name: "lag", value: 1.5, timestamp: 1700000000000, description: "replication lag" },
    { name: "t", value: 1, timestamp: Date.UTC(2024, 0, 2, 3, 4, 5) },
  ]);
  assertEquals(r.errors.map((e) => e.line), [3, 5, 6, 7]);
  assertMatch(r.errors[0].message, /^invalid JSON: /);
  assertMatch(r.errors[1].message, /^invalid metric name "bad name": a name starts with a letter/);
  assertEquals(r.errors[2].message, `"x": "value": expected a number, found "NaN"`);
  assertEquals(r.errors[3].message, `expected a JSON object with "name" and "value", found 42`);
});

Deno.test("parseJsonSamples rejects bad fields with a message naming the field", () => {
  const cases: [unknown, string][] = [
    [{ value: 1 }, `expected "name" to be a string, found nothing`],
    [{ name: "a", value: null }, `"a": "value": expected a number, found null`],
    [
      { name: "a", value: 1, type: "meter" },
      `"a": expected "type" to be one of gauge, counter, updowncounter, histogram, found "meter"`,
    ],
    [
      { name: "a", value: 1, timestamp: "yesterday" },
      `"a": expected "timestamp" to be Unix milliseconds or an ISO 8601 string, found "yesterday"`,
    ],
    [{ name: "a", value: 1, unit: 5 }, `"a": expected "unit" to be a string, found 5`],
    [
      { name: "a", value: 1, attributes: [] },
      `"a": expected "attributes" to be an object, found an array`,
    ],
    [
      { name: "a", value: 1, attributes: { k: null } },
      `"a": expected attribute "k" to be a string, number or boolean, found null`,
    ],
  ];
  for (const [obj, message] of cases) {
    assertEquals(parseJsonSamples(JSON.stringify(obj)).errors, [{ line: 1, message }]);
  }
  const bad = parseJsonSamples(JSON.stringify({ name: "a", value: 1, attributes: { __x: "1" } }));
  assertMatch(bad.errors[0].message, /^"a": invalid attribute key "__x"/);
});

Deno.test("parseJsonSamples accepts a pretty-printed array and arrays per line", () => {
  const doc = JSON.stringify(
    [{ name: "a", value: 1 }, { name: "b", value: "x" }, { name: "c", value: 3 }],
    null,
    2,
  );
  const r = parseJsonSamples(doc);
  assertEquals(r.samples, [{ name: "a", value: 1 }, { name: "c", value: 3 }]);
  assertEquals(r.errors, [{
    line: 1,
    message: `item 1: "b": "value": expected a number, found "x"`,
  }]);
  const lines = parseJsonSamples('[{"name":"a","value":1}]\n[{"name":"b","value":2}]\n');
  assertEquals(lines.samples.map((s) => s.name), ["a", "b"]);
  const pretty = parseJsonSamples('{\n  "name": "solo",\n  "value": 9\n}\n');
  assertEquals(pretty.samples, [{ name: "solo", value: 9 }]);
});

Deno.test("parseJsonSamples caps lines, line length and array items", () => {
  const text = Array.from({ length: 5 }, (_, i) => `{"name":"m${i}","value":${i}}`).join("\n");
  const r = parseJsonSamples(text, { maxLines: 3 });
  assertEquals(r.samples.length, 3);
  assertEquals(r.errors, [{ line: 4, message: "more than 3 lines; the rest was ignored" }]);
  const long = parseJsonSamples(
    `{"name":"a","value":1,"description":"${"x".repeat(100)}"}\n{"name":"b","value":2}`,
    {
      maxLineLength: 50,
    },
  );
  assertEquals(long.samples, [{ name: "b", value: 2 }]);
  assertEquals(long.errors, [{ line: 1, message: "line is longer than 50 characters" }]);
  const arr = parseJsonSamples(JSON.stringify([{ name: "a", value: 1 }, { name: "b", value: 2 }]), {
    maxLines: 1,
  });
  assertEquals(arr.samples, [{ name: "a", value: 1 }]);
  assertEquals(arr.errors, [{ line: 1, message: "more than 1 items; the rest were ignored" }]);
  assertThrows(
    () => parseJsonSamples("", { maxLines: 0 }),
    RangeError,
    "Cannot parse output as 'maxLines' must be a positive integer: current value is 0",
  );
});

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

Deno.test("detectFormat tells JSON, numbers and Prometheus text apart", () => {
  assertEquals(detectFormat(" 42\n"), "number");
  assertEquals(detectFormat(""), "number");
  assertEquals(detectFormat('{"name":"a","value":1}'), "json");
  assertEquals(detectFormat('[{"name":"a","value":1}]'), "json");
  assertEquals(detectFormat("# HELP a x\na 1"), "prometheus");
  assertEquals(detectFormat("a 1\nb 2"), "prometheus");
});

Deno.test("parseOutput dispatches on the given or detected format", () => {
  assertEquals(parseOutput("7", "auto", { name: "n" }), {
    format: "number",
    samples: [{ name: "n", value: 7 }],
    errors: [],
  });
  assertEquals(parseOutput('{"name":"a","value":1}', "auto").format, "json");
  assertEquals(parseOutput("a 1", "auto").format, "prometheus");
  assertEquals(parseOutput("a 1", "json").errors[0].line, 1);
  assertEquals(parseOutput("", "auto").errors, [{
    line: 1,
    message: "expected a number, found empty output",
  }]);
  assertEquals(parseOutput("", "prometheus"), {
    format: "prometheus",
    samples: [],
    errors: [],
  });
});
