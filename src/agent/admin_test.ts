import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { ConnectError, silentLogger } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { adminHandler, type AdminTarget, startAdmin } from "./admin.ts";
import type { AgentStatus } from "./agent.ts";

const status = { version: "x", sources: [] } as unknown as AgentStatus;
const target = (ready: boolean, reload?: AdminTarget["reload"]): AdminTarget => ({
  status: () => status,
  ready,
  reload,
});
const req = (method: string, path: string, headers: Record<string, string> = {}) =>
  new Request(`http://admin${path}`, { method, headers });

Deno.test("admin serves health, readiness and status", async () => {
  const h = adminHandler({ logger: silentLogger, target: target(true) });
  assertEquals((await h(req("GET", "/healthz"))).status, 200);
  assertEquals(await (await h(req("GET", "/readyz"))).text(), "ready\n");
  const s = await h(req("GET", "/status"));
  assertEquals([s.status, s.headers.get("content-type")], [200, "application/json; charset=utf-8"]);
  assertEquals(await s.json(), status);
  assertEquals((await h(req("GET", "/nope"))).status, 404);
  assertEquals((await h(req("DELETE", "/status"))).status, 405);
  assertEquals((await h(req("POST", "/healthz"))).status, 405);
});

Deno.test("admin readyz answers 503 until the agent is ready", async () => {
  const h = adminHandler({ logger: silentLogger, target: target(false) });
  assertEquals((await h(req("GET", "/readyz"))).status, 503);
});

Deno.test("admin reload answers 501 without a reloader and the outcome with one", async () => {
  const none = adminHandler({ logger: silentLogger, target: target(true) });
  const r = await none(req("POST", "/reload"));
  assertEquals(r.status, 501);
  assertEquals((await r.json()).ok, false);
  const bad = adminHandler({
    logger: silentLogger,
    target: target(true, () => Promise.resolve({ ok: false, errors: ["a.toml:1:1: x"] })),
  });
  const b = await bad(req("POST", "/reload"));
  assertEquals([b.status, (await b.json()).errors], [422, ["a.toml:1:1: x"]]);
  const good = adminHandler({
    logger: silentLogger,
    target: target(true, () => Promise.resolve({ ok: true, errors: [] })),
  });
  assertEquals((await good(req("POST", "/reload"))).status, 200);
});

Deno.test("admin token guards everything but the probes", async () => {
  const h = adminHandler({ logger: silentLogger, token: "tok-123456", target: target(true) });
  assertEquals((await h(req("GET", "/healthz"))).status, 200);
  assertEquals((await h(req("GET", "/status"))).status, 401);
  assertEquals(
    (await h(req("GET", "/status", { authorization: "Bearer wrong-12345" }))).status,
    401,
  );
  assertEquals(
    (await h(req("GET", "/status", { authorization: "Bearer tok-123456" }))).status,
    200,
  );
});

Deno.test("admin listens on a real socket and refuses a taken port", async () => {
  const server = await startAdmin({
    listen: "127.0.0.1:0",
    platform,
    logger: silentLogger,
    target: target(true),
    token: "tok-123456",
  });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const res = await fetch(`${base}/status`, { headers: { authorization: "Bearer tok-123456" } });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    await assertRejects(
      () =>
        startAdmin({
          listen: `127.0.0.1:${server.port}`,
          platform,
          logger: silentLogger,
          target: target(true),
        }),
      ConnectError,
      `Cannot listen on 127.0.0.1:${server.port}: address already in use`,
    );
  } finally {
    await server.close();
    await server.close();
  }
});

Deno.test("admin serves the status page at / without a token, self-contained", async () => {
  const h = adminHandler({
    logger: silentLogger,
    target: target(true),
    token: "admin-token-99",
    pageRefreshMs: 700,
  });
  const r = await h(req("GET", "/"));
  assertEquals(r.status, 200);
  assertEquals(r.headers.get("content-type"), "text/html; charset=utf-8");
  const csp = r.headers.get("content-security-policy") ?? "";
  assertEquals(csp.includes("default-src 'none'"), true);
  const html = await r.text();
  assertEquals(html.startsWith("<!doctype html>"), true);
  assertEquals(html.includes("const REFRESH = 700;"), true);
  // Nothing loads from elsewhere: no src/href attributes, no absolute URLs but the SVG namespace.
  assertEquals(/\s(src|href)=/.test(html), false);
  assertEquals(new Set(html.match(/https?:\/\/[^"]+/g)), new Set(["http://www.w3.org/2000/svg"]));
  assertEquals(html.includes("admin-token-99"), false);
  // The data still needs the token.
  assertEquals((await h(req("GET", "/status"))).status, 401);
  assertEquals((await h(req("POST", "/"))).status, 401);
});
