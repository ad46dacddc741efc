import { parse } from "smol-toml";
import { Redactor } from "../core/mod.ts";
import { renderConfig } from "./mod.ts";
import { isSecretKey } from "./secrets.ts";
import { assertEquals, assertNotIncludes, assertStringIncludes } from "./testdata/assert.ts";
import { DESIGN_EXAMPLE, loadFiles } from "./testdata/helpers.ts";

const SECRET = "S3cr3t-Pa55";

Deno.test("renderConfig masks secret keys, header credentials and URL passwords", () => {
  const raw = {
    custom_metrics: {
      sources: [
        {
          name: "db",
          connection_string: `postgresql://app:${SECRET}@db.internal:5432/prod`,
          password: SECRET,
          interval: 60,
          queries: [{ name: "q", sql: "SELECT 1", params: [`mysql://root:${SECRET}@h/x`] }],
        },
        {
          name: "api",
          url: "https://example.com/health",
          headers: {
            Authorization: `Bearer ${SECRET}`,
            "X-Api-Key": SECRET,
            Cookie: `sid=${SECRET}`,
            Accept: "*/*",
          },
        },
      ],
      admin: {
        token: SECRET,
        api_key: 12345678,
        ApiKey: SECRET,
        db_passwd: SECRET,
        client_secret: [SECRET],
      },
      odbc: `Server=h;Database=d;Password=${SECRET};`,
    },
  };
  const before = structuredClone(raw);
  const text = renderConfig(raw);
  assertNotIncludes(text, SECRET);
  assertNotIncludes(text, "12345678");
  assertStringIncludes(text, 'connection_string = "postgresql://app:***@db.internal:5432/prod"');
  assertStringIncludes(text, 'password = "***"');
  assertStringIncludes(text, 'Authorization = "***"');
  assertStringIncludes(text, 'X-Api-Key = "***"');
  assertStringIncludes(text, 'Cookie = "***"');
  assertStringIncludes(text, 'Accept = "*/*"');
  assertStringIncludes(text, 'odbc = "Server=h;Database=d;Password=***;"');
  assertStringIncludes(text, 'url = "https://example.com/health"');
  assertStringIncludes(text, "interval = 60");
  assertEquals(raw, before);
  // deno-lint-ignore no-explicit-any
  const back = parse(text) as any;
  assertEquals(back.custom_metrics.admin.client_secret, ["***"]);
  assertEquals(back.custom_metrics.sources[0].queries[0].params, ["mysql://root:***@h/x"]);
});

Deno.test("renderConfig masks URL tokens and secrets named by short words", () => {
  const raw = {
    source: {
      url: `https://${SECRET}@example.com/x`,
      env: { MYSQL_PWD: SECRET, REDIS_PASS: SECRET, SSH_PASSPHRASE: SECRET, PASSENGER: "Ann" },
      private_key: SECRET,
      credentials: SECRET,
      client_secret: SECRET,
      compass: "north",
    },
  };
  const text = renderConfig(raw);
  assertNotIncludes(text, SECRET);
  assertEquals(JSON.parse(JSON.stringify(parse(text))), {
    source: {
      url: "https://***@example.com/x",
      env: { MYSQL_PWD: "***", REDIS_PASS: "***", SSH_PASSPHRASE: "***", PASSENGER: "Ann" },
      private_key: "***",
      credentials: "***",
      client_secret: "***",
      compass: "north",
    },
  });
});

Deno.test("renderConfig masks values the redactor knows, wherever they appear", () => {
  const redactor = new Redactor();
  redactor.add(SECRET);
  const text = renderConfig(
    { note: `the key is ${SECRET}`, list: [`x${SECRET}x`], keep: true },
    redactor,
  );
  assertNotIncludes(text, SECRET);
  assertEquals({ ...parse(text) }, { note: "the key is ***", list: ["x***x"], keep: true });
});

Deno.test("renderConfig prints the merged document of a loaded config", async () => {
  const r = await loadFiles({
    "a.toml": DESIGN_EXAMPLE.replace("user:pass@", `user:${SECRET}@`),
    "b.toml": '[custom_metrics]\naggregation_window = "10m"\n',
  });
  const text = renderConfig(r.raw);
  assertNotIncludes(text, SECRET);
  assertStringIncludes(text, 'connection_string = "postgresql://user:***@localhost/db"');
  assertStringIncludes(text, 'aggregation_window = "10m"');
  assertStringIncludes(text, "percentiles = [ 50, 95, 99 ]");
});

Deno.test("isSecretKey recognises secret names and header credentials only in headers", () => {
  for (
    const k of [
      "password",
      "PASSWORD",
      "db_passwd",
      "pwd",
      "secret",
      "auth_token",
      "api_key",
      "apikey",
      "Api-Key",
    ]
  ) {
    assertEquals(isSecretKey(k), true, k);
  }
  for (const k of ["interval", "name", "url", "Cookie", "passthrough"]) {
    assertEquals(isSecretKey(k), false, k);
  }
  assertEquals(isSecretKey("Cookie", "headers"), true);
  assertEquals(isSecretKey("X-Auth-User", "headers"), true);
});
