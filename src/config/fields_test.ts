import { z } from "zod";
import { splitListen, zAttributes, zDuration, zListen, zMetricType } from "./fields.ts";
import { assertEquals } from "./testdata/assert.ts";
import { loadFiles } from "./testdata/helpers.ts";

Deno.test("zDuration parses seconds and duration strings into milliseconds", () => {
  assertEquals(zDuration().parse(60), 60_000);
  assertEquals(zDuration().parse("1h30m"), 5_400_000);
  assertEquals(
    zDuration({ min: 1000 }).safeParse("500ms").error?.issues[0].message,
    'expected a duration of at least 1000 ms, found "500ms"',
  );
});

Deno.test("zListen accepts host:port and rejects bad ports", () => {
  assertEquals(zListen.parse("127.0.0.1:9464"), "127.0.0.1:9464");
  assertEquals(zListen.parse("[::1]:0"), "[::1]:0");
  assertEquals(
    zListen.safeParse("127.0.0.1:99999").error?.issues[0].message,
    "port must be at most 65535",
  );
  assertEquals(splitListen("[::1]:9465"), { hostname: "::1", port: 9465 });
  assertEquals(splitListen("localhost:80"), { hostname: "localhost", port: 80 });
});

Deno.test("field types report through the loader with their own messages", async () => {
  const schema = z.strictObject({
    listen: zListen,
    interval: zDuration({ min: 10_000 }),
    type: zMetricType,
    attributes: zAttributes,
  });
  const r = await loadFiles({
    "a.toml":
      'listen = "localhost"\ninterval = 1\ntype = "Counter"\nattributes = { env = "prod", n = 3, b = true }\n',
  }, { schema });
  assertEquals(r.messages, [
    'a.toml:1:1: listen: expected "host:port", e.g. "127.0.0.1:9464", found string "localhost"',
    "a.toml:2:1: interval: expected a duration of at least 10000 ms, found 1",
    'a.toml:3:1: type: expected one of "gauge", "counter", "updowncounter", "histogram", found "Counter" ' +
    '(did you mean "counter"?)',
  ]);
});
