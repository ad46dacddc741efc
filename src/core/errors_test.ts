import { assertEquals, assertInstanceOf } from "../../tests/assert.ts";
import {
  CollectError,
  ConfigError,
  ConfigErrors,
  ConnectError,
  errorMessage,
  ExportError,
  SextantError,
  TimeoutError,
} from "./errors.ts";
import { isValidAttributeKey, isValidMetricName, seriesKey } from "./sample.ts";

Deno.test("ConfigError formats file:line:col: path: message", () => {
  const e = new ConfigError({
    file: "a.toml",
    line: 3,
    col: 5,
    path: "custom_metrics.sources[0].interval",
  }, "expected a duration");
  assertEquals(e.message, "a.toml:3:5: custom_metrics.sources[0].interval: expected a duration");
  assertEquals(e.name, "ConfigError");
  assertInstanceOf(e, SextantError);
  assertEquals(
    new ConfigError({ file: "a.toml", line: 1, col: 1, path: "" }, "bad").message,
    "a.toml:1:1: bad",
  );
  assertEquals(new ConfigErrors([e, e]).message.split("\n").length, 2);
});

Deno.test("phase errors carry their context", () => {
  assertEquals(new ConnectError("db:5432", "refused").endpoint, "db:5432");
  const c = new CollectError("db", "bad row", { query: "q1" });
  assertEquals([c.source, c.query, c.name], ["db", "q1", "CollectError"]);
  assertEquals(new TimeoutError("collection", 50).message, "collection timed out after 50 ms");
  assertEquals(new ExportError("otlp", "503").exporter, "otlp");
  assertEquals(errorMessage("plain"), "plain");
  assertEquals(errorMessage(new Error("x")), "x");
});

Deno.test("metric names and attribute keys follow OTel rules", () => {
  assertEquals(isValidMetricName("db.active_users"), true);
  assertEquals(isValidMetricName("9lives"), false);
  assertEquals(isValidMetricName("a b"), false);
  assertEquals(isValidAttributeKey("host.name"), true);
  assertEquals(isValidAttributeKey("__name__"), false);
  assertEquals(isValidAttributeKey("bad-key"), false);
  assertEquals(seriesKey("m", { b: "2", a: "1" }), seriesKey("m", { a: "1", b: "2" }));
});
