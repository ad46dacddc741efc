import { assertEquals, assertMatch, assertThrows } from "../../tests/assert.ts";
import { parseJsonSamples } from "./json_samples.ts";

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

Deno.test("parseJsonSamples accepts Unix ms numbers and RFC 3339 strings from 2000 to 2100 only", () => {
  const at = (timestamp: unknown) =>
    parseJsonSamples(JSON.stringify({ name: "a", value: 1, timestamp }));
  const ok: [unknown, number][] = [
    [1700000000000, 1700000000000],
    [1700000000000.4, 1700000000000],
    [946684800000, Date.UTC(2000, 0, 1)],
    [4102444799999, Date.UTC(2100, 0, 1) - 1],
    ["2024-01-02T03:04:05Z", Date.UTC(2024, 0, 2, 3, 4, 5)],
    ["2024-01-02T05:04:05.5+02:00", Date.UTC(2024, 0, 2, 3, 4, 5, 500)],
    ["2024-01-01T23:30:00-01:30", Date.UTC(2024, 0, 2, 1, 0)],
    ["2024-02-29T00:00:00.123456789z", Date.UTC(2024, 1, 29, 0, 0, 0, 123)],
  ];
  for (const [ts, want] of ok) {
    assertEquals(
      at(ts),
      { samples: [{ name: "a", value: 1, timestamp: want }], errors: [] },
      String(ts),
    );
  }
  const format = (found: string) =>
    `"a": expected "timestamp" to be Unix milliseconds or an ISO 8601 string, found ${found}`;
  const range = (found: string) =>
    `"a": expected "timestamp" between 2000-01-01 and 2100-01-01, found ${found}`;
  const bad: [unknown, string][] = [
    ["1", format(`"1"`)], // Date.parse reads this as 2001
    ["1700000000000", format(`"1700000000000"`)],
    ["2024-01-02", format(`"2024-01-02"`)],
    ["2024-01-02T03:04:05", format(`"2024-01-02T03:04:05"`)], // no offset: the zone is a guess
    ["2024-01-02 03:04:05Z", format(`"2024-01-02 03:04:05Z"`)],
    ["Tue, 02 Jan 2024 03:04:05 GMT", format(`"Tue, 02 Jan 2024 03:04:05 GMT"`)],
    ["2024-02-30T00:00:00Z", format(`"2024-02-30T00:00:00Z"`)],
    ["2024-13-01T00:00:00Z", format(`"2024-13-01T00:00:00Z"`)],
    ["2024-01-01T24:00:00Z", format(`"2024-01-01T24:00:00Z"`)],
    ["2024-01-01T00:00:00+24:00", format(`"2024-01-01T00:00:00+24:00"`)],
    [true, format("true")],
    [1e300, range("1e+300")],
    [1, range("1")],
    [-1, range("-1")],
    [4102444800000, range("4102444800000")],
    ["1999-12-31T23:59:59Z", range(`"1999-12-31T23:59:59Z"`)],
    ["2100-01-01T00:00:00Z", range(`"2100-01-01T00:00:00Z"`)],
  ];
  for (const [ts, message] of bad) {
    assertEquals(at(ts), { samples: [], errors: [{ line: 1, message }] }, String(ts));
  }
});

Deno.test("parseJsonSamples keeps attribute keys named like Object.prototype members", () => {
  const r = parseJsonSamples(
    '{"name":"a","value":1,"attributes":{"constructor":"c","toString":"t","hasOwnProperty":"h"}}',
  );
  assertEquals(r.errors, []);
  assertEquals(r.samples, [{
    name: "a",
    value: 1,
    attributes: { constructor: "c", toString: "t", hasOwnProperty: "h" },
  }]);
  const proto = parseJsonSamples('{"name":"a","value":1,"attributes":{"__proto__":"x"}}');
  assertEquals(proto.samples, []);
  assertMatch(proto.errors[0].message, /^"a": invalid attribute key "__proto__"/);
});
