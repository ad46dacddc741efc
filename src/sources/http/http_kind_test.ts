import { assert, assertEquals, assertMatch, waitFor } from "../../../tests/assert.ts";
import { parse as parseToml } from "smol-toml";
import { CollectError, ConnectError, TimeoutError } from "../../core/mod.ts";
import { httpKind } from "./mod.ts";
import { requestDeadline } from "./http_source.ts";
import {
  configFor,
  RecordingAccumulator,
  schemaIssues,
  testDeps,
} from "../../../tests/support/source_harness.ts";

const PASSWORD = "S3cr3t-Pa55";

/** A loopback server with the routes the tests need. */
async function withServer(fn: (base: string, seen: Seen[]) => Promise<void>): Promise<void> {
  const seen: Seen[] = [];
  const release: (() => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    seen.push({ method: req.method, headers: new Headers(req.headers), body: await req.text() });
    const path = new URL(req.url).pathname;
    switch (path) {
      case "/json":
        return Response.json({
          data: { items: [{ count: 5 }, { count: "7" }], ok: true, name: "x", nil: null },
        });
      case "/text":
        return new Response("<html>hello</html>");
      case "/big":
        return new Response("x".repeat(200_000));
      case "/slow":
        await new Promise<void>((r) => release.push(r));
        return new Response("late");
      case "/auth": {
        const want = "Basic " + btoa(`user:${PASSWORD}`);
        return new Response(null, {
          status: req.headers.get("authorization") === want ? 204 : 401,
        });
      }
      case "/echo":
        return Response.json({ method: req.method });
      default: {
        const m = /^\/status\/(\d+)$/.exec(path);
        return new Response("status", { status: m ? Number(m[1]) : 404 });
      }
    }
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    for (const r of release) r();
    await server.shutdown();
  }
}

interface Seen {
  method: string;
  headers: Headers;
  body: string;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(),
  );
  const port = server.addr.port;
  await server.shutdown();
  return port;
}

async function collectOnce(table: Record<string, unknown>, signal = new AbortController().signal) {
  const deps = testDeps();
  const config = configFor(httpKind, table);
  for (const s of httpKind.secrets!(config)) deps.redactor.add(s);
  const source = httpKind.create(config, deps);
  const acc = new RecordingAccumulator();
  await source.start(signal);
  await source.collect(acc, signal);
  await source.stop();
  return { acc, deps };
}

Deno.test("httpKind reports response_time, status_code and up for a 2xx response", async () => {
  await withServer(async (base, seen) => {
    const { acc } = await collectOnce({ url: `${base}/status/200` });
    assertEquals(acc.errors, []);
    assertEquals(acc.samples.map((s) => s.name).sort(), ["response_time", "status_code", "up"]);
    assertEquals(acc.value("status_code"), 200);
    assertEquals(acc.value("up"), 1);
    const rt = acc.samples.find((s) => s.name === "response_time")!;
    assertEquals(rt.unit, "ms");
    assert(rt.value > 0 && rt.value < 5000, `response_time ${rt.value}`);
    assertEquals(seen[0].method, "GET");
    assertMatch(seen[0].headers.get("user-agent")!, /^sextant\//);
  });
});

Deno.test("httpKind reports up=0 and a CollectError for an unexpected status", async () => {
  await withServer(async (base) => {
    const { acc } = await collectOnce({ name: "api", url: `${base}/status/503` });
    assertEquals(acc.value("status_code"), 503);
    assertEquals(acc.value("up"), 0);
    assert(acc.value("response_time")! >= 0);
    assertEquals(acc.failed, true, "the collection failed as a whole; up=0 is its diagnostic");
    assertEquals(acc.errors.length, 1);
    const err = acc.errors[0].err as CollectError;
    assert(err instanceof CollectError);
    assertEquals(err.source, "api");
    assertEquals(
      err.message,
      `http source "api": GET "${base}/status/503" returned status 503, expected 2xx`,
    );
  });
});

Deno.test("httpKind accepts the statuses listed in expect_status", async () => {
  await withServer(async (base) => {
    const one = await collectOnce({ url: `${base}/status/404`, expect_status: 404 });
    assertEquals(one.acc.value("up"), 1);
    assertEquals(one.acc.errors, []);
    const list = await collectOnce({ url: `${base}/status/200`, expect_status: [301, 302] });
    assertEquals(list.acc.value("up"), 0);
    assertMatch(
      String((list.acc.errors[0].err as Error).message),
      /returned status 200, expected 301 or 302$/,
    );
  });
});

Deno.test("httpKind picks JSON values and reports each missing or non-numeric one", async () => {
  await withServer(async (base) => {
    const { acc } = await collectOnce({
      name: "api",
      url: `${base}/json`,
      json_metrics: [
        { name: "first", path: "data.items[0].count", otel_type: "counter", unit: "{item}" },
        { name: "last", path: "$.data.items[-1].count", attributes: { which: "last" } },
        { name: "ok", path: 'data["ok"]' },
        { name: "missing", path: "data.items[5].count" },
        { name: "text", path: "data.name" },
        { name: "nil", path: "data.nil" },
      ],
    });
    assertEquals(acc.value("up"), 1);
    assertEquals(acc.failed, false, "a json_metrics problem is an item error: partial");
    assertEquals(
      acc.samples.filter((s) => !["up", "status_code", "response_time"].includes(s.name)),
      [
        { name: "first", value: 5, type: "counter", unit: "{item}" },
        { name: "last", value: 7, attributes: { which: "last" } },
        { name: "ok", value: 1 },
      ],
    );
    assertEquals(acc.errors.map((e) => e.item), ["missing", "text", "nil"]);
    assert(acc.errors.every((e) => e.err instanceof CollectError && e.err.query === e.item));
    assertEquals(acc.errors.map((e) => (e.err as Error).message), [
      `http source "api": json_metrics "missing": path "data.items[5].count" not found (no "data.items[5]")`,
      `http source "api": json_metrics "text": expected a number, found "x" at "data.name"`,
      `http source "api": json_metrics "nil": expected a number, found null at "data.nil"`,
    ]);
  });
});

Deno.test("httpKind reports a non-JSON body when json_metrics are configured", async () => {
  await withServer(async (base) => {
    const { acc } = await collectOnce({
      name: "api",
      url: `${base}/text`,
      json_metrics: [{ name: "a", path: "a" }],
    });
    assertEquals(acc.value("up"), 1);
    assertEquals(acc.errors.length, 1);
    assert(acc.errors[0].err instanceof CollectError);
    assertMatch(
      (acc.errors[0].err as Error).message,
      new RegExp(`^http source "api": the response body of "${base}/text" is not JSON: `),
    );
    const plain = await collectOnce({ url: `${base}/text` });
    assertEquals(plain.acc.errors, []);
  });
});

Deno.test("httpKind caps the body at max_body", async () => {
  await withServer(async (base) => {
    const { acc } = await collectOnce({
      name: "api",
      url: `${base}/big`,
      max_body: 1000,
      json_metrics: [{ name: "a", path: "a" }],
    });
    assertEquals(acc.value("up"), 1);
    assertEquals(
      (acc.errors[0].err as Error).message,
      `http source "api": the response body is larger than max_body (1000 bytes); no json_metrics read`,
    );
  });
});

Deno.test("httpKind sends the configured method, headers and body", async () => {
  await withServer(async (base, seen) => {
    const { acc } = await collectOnce({
      url: `${base}/echo`,
      method: "post",
      headers: { "X-Token": "abc123", "User-Agent": "probe/1" },
      body: "ping",
    });
    assertEquals(acc.value("up"), 1);
    assertEquals(acc.errors, []);
    assertEquals(seen[0].method, "POST");
    assertEquals(seen[0].body, "ping");
    assertEquals(seen[0].headers.get("user-agent"), "probe/1");
    assertEquals(seen[0].headers.get("x-token"), "abc123");
  });
});

Deno.test("httpKind reports an unreachable URL as up=0 and a ConnectError naming source and URL", async () => {
  const url = `http://127.0.0.1:${await closedPort()}/health`;
  const { acc } = await collectOnce({ name: "api", url });
  assertEquals(acc.samples, [{ name: "up", value: 0, type: "gauge" }]);
  assertEquals(acc.errors.length, 1);
  const err = acc.errors[0].err as ConnectError;
  assert(err instanceof ConnectError);
  assertEquals(err.endpoint, url);
  assertMatch(err.message, new RegExp(`^http source "api": cannot reach GET "${url}": `));
  assertEquals(acc.errors[0].item, url);
});

Deno.test("httpKind times out a slow server when the collect signal aborts", async () => {
  await withServer(async (base) => {
    const t0 = performance.now();
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new TimeoutError('collection of "api"', 150)), 150);
    const { acc } = await collectOnce({ name: "api", url: `${base}/slow` }, ctl.signal);
    clearTimeout(timer);
    assert(performance.now() - t0 < 3000);
    assertEquals(acc.samples, [{ name: "up", value: 0, type: "gauge" }]);
    const err = acc.errors[0].err as TimeoutError;
    assert(err instanceof TimeoutError);
    assertEquals(err.message, `http source "api": GET "${base}/slow" timed out after 150 ms`);
  });
});

Deno.test("httpKind times out on its own just before the source timeout", async () => {
  assertEquals(requestDeadline(10_000), 9_750);
  assertEquals(requestDeadline(1_000), 900);
  assertEquals(requestDeadline(1), 1);
  await withServer(async (base) => {
    const { acc } = await collectOnce({
      name: "api",
      url: `${base}/slow`,
      timeout: "300ms",
      interval: 10,
    });
    assertEquals(acc.value("up"), 0);
    const err = acc.errors[0].err as TimeoutError;
    assert(err instanceof TimeoutError);
    assertEquals(err.timeoutMs, 270);
  });
});

Deno.test("httpKind reports a plain abort as a CollectError", async () => {
  await withServer(async (base, seen) => {
    const ctl = new AbortController();
    const run = collectOnce({ name: "api", url: `${base}/slow` }, ctl.signal);
    await waitFor(() => seen.length === 1, "the request to arrive");
    ctl.abort();
    const { acc } = await run;
    assert(acc.errors[0].err instanceof CollectError);
    assertEquals(
      (acc.errors[0].err as Error).message,
      `http source "api": GET "${base}/slow" was aborted`,
    );
  });
});

/**
 * Logs each recorded error the way the agent's runner does, through the real
 * logger (whose Redactor got the kind's secrets), then asserts that none of
 * `secrets` is in an error, a log line or a sample.
 */
function assertLeaksNothing(
  run: Awaited<ReturnType<typeof collectOnce>>,
  secrets: string[],
): void {
  for (const e of run.acc.errors) {
    run.deps.logger.warn("collection error", { item: e.item, error: (e.err as Error).message });
  }
  const recorded = [
    JSON.stringify(run.acc.samples),
    ...run.acc.errors.flatMap((e) => {
      const err = e.err as Error & { endpoint?: string; query?: string };
      return [
        err.message,
        String(err.cause),
        String(e.item),
        String(err.endpoint),
        String(err.query),
      ];
    }),
    ...run.deps.logs,
  ];
  for (const text of recorded) {
    for (const secret of secrets) assert(!text.includes(secret), `${secret} leaked: ${text}`);
  }
}

Deno.test("httpKind never shows a username-only URL token in errors, logs or samples", async () => {
  const token = "ghp_SuperSecretToken42";
  const port = await closedPort();
  const run = await collectOnce({ name: "gh", url: `http://${token}@127.0.0.1:${port}/health` });
  assertEquals(run.acc.samples, [{ name: "up", value: 0, type: "gauge" }]);
  assertEquals(run.acc.errors.length, 1);
  const err = run.acc.errors[0].err as ConnectError;
  assert(err instanceof ConnectError);
  assertEquals(err.endpoint, `http://***@127.0.0.1:${port}/health`);
  assertMatch(
    err.message,
    new RegExp(
      `^http source "gh": cannot reach GET "http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/health": `,
    ),
  );
  assertLeaksNothing(run, [token, btoa(`${token}:`)]);
  assert(run.deps.logs.some((l) => l.includes("cannot reach")), "the error was logged");
});

Deno.test("httpKind never shows a URL password in errors or logs, and sends it as Basic auth", async () => {
  await withServer(async (base) => {
    const host = base.slice("http://".length);
    const ok = await collectOnce({ url: `http://user:${PASSWORD}@${host}/auth` });
    assertEquals(ok.acc.value("status_code"), 204);
    const bad = await collectOnce({
      name: "api",
      url: `http://user:${PASSWORD}@${host}/status/500`,
    });
    const down = await collectOnce({
      name: "api",
      url: `http://user:${PASSWORD}@127.0.0.1:${await closedPort()}/x`,
    });
    for (const run of [ok, bad, down]) {
      for (const e of run.acc.errors) {
        const err = e.err as Error;
        const text = [err.message, String(err.cause), e.item, (err as ConnectError).endpoint].join(
          "\n",
        );
        assert(!text.includes(PASSWORD), text);
        assert(!text.includes(btoa(`user:${PASSWORD}`)), text);
      }
      assertLeaksNothing(run, [PASSWORD, btoa(`user:${PASSWORD}`)]);
    }
    assert(down.deps.logs.some((l) => l.includes("cannot reach")), "the error was logged");
    assertMatch(
      (bad.acc.errors[0].err as Error).message,
      /"http:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/status\/500"/,
    );
    assertMatch(
      (down.acc.errors[0].err as Error).message,
      /cannot reach GET "http:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/x"/,
    );
    assert(ok.deps.logs.length > 0, "the probe logs at debug level");
  });
});

Deno.test("httpKind.stop aborts a request in flight and is safe to call twice", async () => {
  await withServer(async (base, seen) => {
    const source = httpKind.create(
      configFor(httpKind, { name: "api", url: `${base}/slow` }),
      testDeps(),
    );
    const acc = new RecordingAccumulator();
    const run = source.collect(acc, new AbortController().signal);
    await waitFor(() => seen.length === 1, "the request to arrive");
    await source.stop();
    await source.stop();
    await run;
    assertEquals(acc.value("up"), 0);
    assertEquals(
      (acc.errors[0].err as Error).message,
      `http source "api": GET "${base}/slow" was aborted`,
    );
  });
});

Deno.test("httpKind.check rejects a body on GET, builtin names and duplicate series", () => {
  const problems = httpKind.check!(configFor(httpKind, {
    url: "http://127.0.0.1/",
    body: "x",
    json_metrics: [
      { name: "up", path: "a" },
      { name: "depth", path: "a" },
      { name: "depth", path: "b" },
      { name: "depth", path: "c", attributes: { q: "1" } },
    ],
  }));
  assertEquals(problems, [
    { path: ["body"], message: `a body needs a method other than GET, e.g. method = "POST"` },
    {
      path: ["json_metrics", 0, "name"],
      message: `"up" is emitted by the http source itself; choose another name`,
    },
    {
      path: ["json_metrics", 2, "name"],
      message: `duplicate series "depth": give each entry its own name or attributes`,
    },
  ]);
  assertEquals(
    httpKind.check!(configFor(httpKind, { url: "http://127.0.0.1/", method: "POST", body: "x" })),
    [],
  );
});

Deno.test("httpKind.secrets returns URL passwords, secret query values and auth-like header values", () => {
  const config = configFor(httpKind, {
    url: "https://bob:p%40ss-word@example.test/x?api_key=KEY123&page=2",
    headers: { Authorization: "Bearer tok-987", "X-Api-Key": "k-555", Accept: "application/json" },
  });
  assertEquals(httpKind.secrets!(config).sort(), [
    "Bearer tok-987",
    "KEY123",
    "k-555",
    "p%40ss-word",
    "p@ss-word",
    "tok-987",
  ]);
});

Deno.test("httpKind.secrets returns a URL userinfo that has no password", () => {
  const config = configFor(httpKind, { url: "https://ghp_tok%2Fen42@example.test/x" });
  assertEquals(httpKind.secrets!(config).sort(), ["ghp_tok%2Fen42", "ghp_tok/en42"]);
  assertEquals(httpKind.secrets!(configFor(httpKind, { url: "https://example.test/" })), []);
});

Deno.test("httpKind schema rejects header values that fetch cannot send, naming the header", () => {
  const message =
    "expected a header value of printable ASCII/Latin-1 characters (percent-encode others)";
  assertEquals(schemaIssues(httpKind, { url: "http://x/", headers: { "X-Note": "\u2713 ok" } }), [
    `headers.X-Note: ${message}`,
  ]);
  assertEquals(schemaIssues(httpKind, { url: "http://x/", headers: { "X-Del": "a\x7fb" } }), [
    `headers.X-Del: ${message}`,
  ]);
  assertEquals(
    schemaIssues(httpKind, { url: "http://x/", headers: { "X-Latin": "caf\u00e9\tok ~" } }),
    [],
  );
});

Deno.test("httpKind reports an unsendable header as an error per header instead of throwing", async () => {
  await withServer(async (base, seen) => {
    const config = {
      ...configFor(httpKind, { name: "api", url: `${base}/status/200` }),
      // What the schema rejects, as a config that bypassed it would carry.
      headers: { "X-Note": "\u2713 ok", "Bad Name": "x", "X-Fine": "yes" },
    };
    const source = httpKind.create(config, testDeps());
    const acc = new RecordingAccumulator();
    await source.collect(acc, new AbortController().signal);
    await source.stop();
    assertEquals(acc.samples, [{ name: "up", value: 0, type: "gauge" }]);
    assert(acc.errors.every((e) => e.err instanceof CollectError));
    assertEquals(acc.errors.map((e) => [e.item, (e.err as Error).message]), [
      [
        "header X-Note",
        `http source "api": cannot send header "X-Note": expected a header value of printable ASCII/Latin-1 characters (percent-encode others)`,
      ],
      [
        "header Bad Name",
        `http source "api": cannot send header "Bad Name": expected an HTTP header name`,
      ],
    ]);
    assertEquals(seen.length, 0, "no request is sent without its headers");
  });
});

Deno.test("httpKind schema rejects bad URLs, methods, statuses and paths", () => {
  assertEquals(schemaIssues(httpKind, { url: "ftp://x/" }), [
    "url: expected an absolute http:// or https:// URL",
  ]);
  assertEquals(schemaIssues(httpKind, { url: "http://x/", method: "FETCH" }).length, 1);
  assertMatch(
    schemaIssues(httpKind, { url: "http://x/", expect_status: 700 })[0],
    /^expect_status: /,
  );
  assertEquals(
    schemaIssues(httpKind, { url: "http://x/", json_metrics: [{ name: "a", path: "a..b" }] }),
    [
      `json_metrics.0.path: invalid path "a..b": expected a key at column 3`,
    ],
  );
  assertMatch(
    schemaIssues(httpKind, { url: "http://x/", headers: { "Bad Header": "x" } })[0],
    /^headers\.Bad Header/,
  );
  assertEquals(schemaIssues(httpKind, { url: "http://x/", headers: { A: "x\ny" } }), [
    "headers.A: a header value may not contain line breaks",
  ]);
  assertEquals(schemaIssues(httpKind, { url: "http://x/", extra: 1 }).length, 1);
});

Deno.test("httpKind sample.toml parses and validates", async () => {
  const doc = parseToml(await Deno.readTextFile(new URL("./sample.toml", import.meta.url))) as {
    custom_metrics: { sources: Record<string, unknown>[] };
  };
  assert(doc.custom_metrics.sources.length >= 1);
  for (const table of doc.custom_metrics.sources) {
    assertEquals(schemaIssues(httpKind, table), []);
    assertEquals(httpKind.check!(configFor(httpKind, table)), []);
    httpKind.create(configFor(httpKind, table), testDeps());
  }
});

Deno.test("httpKind README shows sample.toml", async () => {
  const sample = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  assert(readme.includes(sample.slice(sample.indexOf("[[custom_metrics.sources]]")).trim()));
});
