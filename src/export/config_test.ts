import { parse } from "smol-toml";
import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { DEFAULT_EXPORTERS, exporterSchema, exporterSecrets, resourceSchema } from "./config.ts";

function issues(
  input: unknown,
  schema: {
    safeParse(v: unknown): { error?: { issues: { path: PropertyKey[]; message: string }[] } };
  } = exporterSchema,
): string[] {
  return (schema.safeParse(input).error?.issues ?? []).map((i) =>
    `${i.path.join(".")}: ${i.message}`
  );
}

Deno.test("exporterSchema fills the defaults of each exporter type", () => {
  assertEquals(exporterSchema.parse({ type: "prometheus" }), {
    type: "prometheus",
    listen: "127.0.0.1:9464",
    path: "/metrics",
  });
  assertEquals(exporterSchema.parse({ type: "otlp" }), {
    type: "otlp",
    endpoint: "http://127.0.0.1:4318/v1/metrics",
    protocol: "http/protobuf",
    headers: {},
    interval: 60_000,
    timeout: 10_000,
    temporality: "cumulative",
    retry_buffer: 100,
    retry_initial: 1_000,
    retry_max: 60_000,
  });
  assertEquals(exporterSchema.parse({ type: "console" }), {
    type: "console",
    interval: 60_000,
    format: "text",
  });
});

Deno.test("exporterSchema parses durations as seconds or duration strings", () => {
  const e = exporterSchema.parse({ type: "otlp", interval: 15, timeout: "1500ms" });
  assert(e.type === "otlp");
  assertEquals([e.interval, e.timeout], [15_000, 1500]);
  assertEquals(issues({ type: "console", interval: "50ms" }), [
    'interval: expected a duration of at least 100 ms, found "50ms"',
  ]);
});

Deno.test("exporterSchema rejects unknown keys and unknown types", () => {
  assertEquals(issues({ type: "prometheus", listn: "x" }), [': Unrecognized key: "listn"']);
  assertEquals(issues({ type: "statsd" }), [
    "type: Invalid discriminator value. Expected 'prometheus' | 'otlp' | 'console'",
  ]);
  assertEquals(issues({ type: "console", format: "yaml" }).length, 1);
  assertEquals(issues({ type: "otlp", protocol: "grpc" }).length, 1);
  assertEquals(issues({ type: "otlp", temporality: "lowmemory" }).length, 1);
});

Deno.test("exporterSchema checks listen addresses, paths, names and endpoints", () => {
  assertEquals(issues({ type: "prometheus", listen: "9464" }), [
    'listen: expected "host:port", e.g. "127.0.0.1:9464"',
  ]);
  assertEquals(issues({ type: "prometheus", path: "metrics" }), [
    'path: expected an absolute URL path such as "/metrics"',
  ]);
  assertEquals(issues({ type: "prometheus", name: "my exporter" }).length, 1);
  assertStringIncludes(
    issues({ type: "otlp", endpoint: "ftp://host/x" })[0],
    "endpoint: expected an http(s) URL",
  );
  assertEquals(exporterSchema.parse({ type: "prometheus", listen: "[::1]:0" }).type, "prometheus");
});

Deno.test("exporterSchema adds /v1/metrics to an OTLP endpoint without a path", () => {
  const endpoint = (e: string) =>
    (exporterSchema.parse({ type: "otlp", endpoint: e }) as { endpoint: string }).endpoint;
  assertEquals(endpoint("http://collector:4318"), "http://collector:4318/v1/metrics");
  assertEquals(endpoint("https://collector:4318/"), "https://collector:4318/v1/metrics");
  assertEquals(
    endpoint("https://ingest.example.com/otlp/v1/metrics"),
    "https://ingest.example.com/otlp/v1/metrics",
  );
});

Deno.test("exporterSchema rejects header names and values HTTP cannot carry", () => {
  assertEquals(issues({ type: "otlp", headers: { "bad header": "x" } }), [
    'headers.bad header: expected an HTTP header name, found "bad header"',
  ]);
  assertEquals(issues({ type: "otlp", headers: { ok: "a\r\nInjected: 1" } }), [
    "headers.ok: header values must not contain line breaks",
  ]);
});

Deno.test("resourceSchema defaults service_name and refuses attributes it sets itself", () => {
  assertEquals(resourceSchema.parse(undefined), { service_name: "sextant", attributes: {} });
  assertEquals(resourceSchema.parse({ attributes: { "host.name": "edge-1", port: 5 } }), {
    service_name: "sextant",
    attributes: { "host.name": "edge-1", port: "5" },
  });
  assertEquals(issues({ attributes: { "service.name": "x" } }, resourceSchema), [
    'attributes.service.name: set "service.name" with service_name instead',
  ]);
  assertEquals(issues({ attributes: { "a.b": "1", a_b: "2" } }, resourceSchema), [
    'attributes.a_b: attribute "a_b" and "a.b" both become the Prometheus label "a_b"',
  ]);
  assertEquals(issues({ attributes: { service_name: "x" } }, resourceSchema).length, 1);
  assertEquals(issues({ service: "x" }, resourceSchema), [': Unrecognized key: "service"']);
});

Deno.test("DEFAULT_EXPORTERS is Prometheus on 127.0.0.1:9464/metrics and validates", () => {
  assertEquals(DEFAULT_EXPORTERS, [exporterSchema.parse({ type: "prometheus" })]);
});

Deno.test("exporterSecrets lists header values, bearer tokens and URL passwords", () => {
  const e = exporterSchema.parse({
    type: "otlp",
    endpoint: "https://user:p%40ss@otlp.example/v1/metrics",
    headers: { authorization: "Bearer abcd1234", "x-key": "k" },
  });
  assertEquals(
    exporterSecrets(e).sort(),
    ["Bearer abcd1234", "abcd1234", "k", "p%40ss", "p@ss"].sort(),
  );
  assertEquals(exporterSecrets(exporterSchema.parse({ type: "console" })), []);
});

Deno.test("sample.toml parses and each exporter validates against exporterSchema", async () => {
  const text = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const doc = parse(text) as { custom_metrics: { exporters: unknown[]; resource: unknown } };
  const exporters = doc.custom_metrics.exporters.map((e) => exporterSchema.parse(e));
  assertEquals(exporters.map((e) => e.type), ["prometheus", "otlp", "console"]);
  const otlp = exporters[1];
  assert(otlp.type === "otlp");
  assertEquals([otlp.name, otlp.interval, otlp.timeout], ["collector", 60_000, 10_000]);
  assertEquals(resourceSchema.parse(doc.custom_metrics.resource).service_namespace, "platform");
});

Deno.test("README shows sample.toml as it is", async () => {
  const sample = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  assertStringIncludes(readme, "```toml\n" + sample + "```");
});

Deno.test("exporterSchema takes a malformed percent-escape in an endpoint's user info literally", () => {
  const endpoint = (e: string) =>
    (exporterSchema.parse({ type: "otlp", endpoint: e }) as { endpoint: string }).endpoint;
  assertEquals(
    endpoint("http://user:p%zzSecretPw@127.0.0.1:9/v1/metrics"),
    "http://user:p%25zzSecretPw@127.0.0.1:9/v1/metrics",
  );
  assertEquals(endpoint("http://us%zz:pw@h:1/x"), "http://us%25zz:pw@h:1/x");
  // Valid escapes stay as they are.
  assertEquals(endpoint("http://user:p%40ss@h:1/x"), "http://user:p%40ss@h:1/x");
});

Deno.test("exporterSecrets lists both forms of a URL password, even a malformed one", () => {
  const e = exporterSchema.parse({
    type: "otlp",
    endpoint: "http://user:p%zzSecretPw@127.0.0.1:9/v1/metrics",
  });
  assertEquals(exporterSecrets(e).sort(), ["p%25zzSecretPw", "p%zzSecretPw"]);
  const raw = {
    type: "otlp",
    endpoint: "http://user:p%zzSecretPw@127.0.0.1:9/v1/metrics",
    headers: {},
  } as unknown as Parameters<typeof exporterSecrets>[0];
  assertEquals(exporterSecrets(raw), ["p%zzSecretPw"], "an unvalidated config does not throw");
  const broken = { ...raw, endpoint: "http://[" } as typeof raw;
  assertEquals(exporterSecrets(broken), []);
});

Deno.test("exporterSchema rejects endpoints new URL cannot parse, without repeating them", () => {
  for (const e of ["http://[bad", "http://user:secretpw@host:99999/x", "not a url", "http://"]) {
    const got = issues({ type: "otlp", endpoint: e });
    assertEquals(got, [
      'endpoint: expected an http(s) URL such as "http://127.0.0.1:4318/v1/metrics"; this one cannot be parsed',
    ], e);
  }
  assertEquals(issues({ type: "otlp", endpoint: "ftp://user:secretpw@host/x" }), [
    'endpoint: expected an http(s) URL such as "http://127.0.0.1:4318/v1/metrics", not "ftp"',
  ]);
  assertEquals(issues({ type: "otlp", endpoint: 5 }), [
    'endpoint: expected an http(s) URL such as "http://127.0.0.1:4318/v1/metrics"',
  ]);
});

Deno.test("sextant config print --resolved survives a malformed percent-escape in an OTLP password", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const file = new URL("./testdata/malformed_password.toml", import.meta.url).pathname;
  for (const args of [["config", "print", "--resolved"], ["validate"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, ...args, "-c", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, text);
    assert(!text.includes("SecretPw"), text);
  }
});
