/**
 * The admin HTTP API: `GET /healthz`, `GET /readyz`, `GET /status` and
 * `POST /reload`. Binds to loopback by default; an optional bearer token
 * guards everything but the health probes.
 * @module
 */
import { splitListen } from "../config/mod.ts";
import type { HttpServer, Logger, Platform } from "../core/mod.ts";
import type { AgentStatus } from "./agent.ts";
import { statusPage } from "./status_page.ts";

/** What the admin API needs from the running collector. */
export interface AdminTarget {
  status(): AgentStatus;
  readonly ready: boolean;
  /** Reloads the configuration; resolves with the validation outcome. */
  reload?(): Promise<{ ok: boolean; errors: string[] }>;
  /** Loads, unloads or reloads one plugin source. */
  pluginAction?(
    source: string,
    action: string,
  ): Promise<{ ok: true; status: unknown } | { ok: false; status: number; error: string }>;
}

/** Options of {@linkcode startAdmin}. */
export interface AdminOptions {
  listen: string;
  token?: string;
  platform: Platform;
  logger: Logger;
  target: AdminTarget;
  /** How often the status page polls `/status`, in ms. @default {2000} */
  pageRefreshMs?: number;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });

/** Builds the request handler (exported for tests that need no socket). */
export function adminHandler(
  opts: Omit<AdminOptions, "listen" | "platform">,
): (req: Request) => Promise<Response> {
  const expected = opts.token ? `Bearer ${opts.token}` : undefined;
  const page = statusPage(opts.pageRefreshMs);
  return async (req) => {
    const url = new URL(req.url);
    const route = `${req.method} ${url.pathname}`;
    if (url.pathname === "/healthz" || url.pathname === "/readyz") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return json({ error: "method not allowed" }, 405);
      }
      if (url.pathname === "/healthz") {
        return new Response("ok\n", { headers: { "content-type": "text/plain" } });
      }
      return opts.target.ready
        ? new Response("ready\n", { headers: { "content-type": "text/plain" } })
        : new Response("not ready\n", { status: 503, headers: { "content-type": "text/plain" } });
    }
    if (url.pathname === "/" && (req.method === "GET" || req.method === "HEAD")) {
      // The page holds no data (it fetches /status itself), so it needs no token.
      return new Response(page, {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-store",
          // Self-contained: nothing may load from elsewhere.
          "content-security-policy":
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
        },
      });
    }
    if (expected && !timingSafeEqual(req.headers.get("authorization") ?? "", expected)) {
      return json({ error: "unauthorized" }, 401);
    }
    switch (route) {
      case "GET /status":
        return json(opts.target.status());
      case "POST /reload": {
        if (!opts.target.reload) {
          return json({
            ok: false,
            errors: ["configuration reload is not available in this release; restart sextant"],
          }, 501);
        }
        const result = await opts.target.reload();
        return json(result, result.ok ? 200 : 422);
      }
    }
    const plugin = /^\/plugins\/([^/]+)\/([a-z]+)$/.exec(url.pathname);
    if (plugin && opts.target.pluginAction) {
      if (req.method !== "POST") return json({ error: "method not allowed" }, 405);
      const r = await opts.target.pluginAction(decodeURIComponent(plugin[1]), plugin[2]);
      return r.ok ? json(r.status) : json({ error: r.error }, r.status);
    }
    if (route === "GET /plugins") return json(opts.target.status().plugins);
    if (["/status", "/reload", "/plugins"].includes(url.pathname)) {
      return json({ error: "method not allowed" }, 405);
    }
    return json(
      {
        error: "not found",
        endpoints: [
          "/",
          "/healthz",
          "/readyz",
          "/status",
          "/reload",
          "/plugins",
          "/plugins/<source>/load|unload|reload",
        ],
      },
      404,
    );
  };
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Starts the admin server; rejects with a `ConnectError` when the address is taken. */
export async function startAdmin(opts: AdminOptions): Promise<HttpServer> {
  const { hostname, port } = splitListen(opts.listen);
  const handler = adminHandler(opts);
  const server = await opts.platform.serve({ hostname, port, handler: (req) => handler(req) });
  opts.logger.info("admin API listening", {
    url: `http://${fmtHost(server.hostname)}:${server.port}/`,
  });
  return server;
}

function fmtHost(h: string): string {
  return h.includes(":") ? `[${h}]` : h;
}
