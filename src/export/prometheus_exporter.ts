/**
 * The Prometheus exporter: an HTTP listener (through `Platform.serve`) that
 * answers `GET <path>` with the current metrics in text format 0.0.4.
 * @module
 */
import {
  ConnectError,
  errorMessage,
  type HttpServer,
  type Logger,
  type Platform,
} from "../core/mod.ts";
import { splitListen } from "../config/mod.ts";
import type { PrometheusExporterConfig } from "./config.ts";
import type { ExporterStats } from "./exporter_status.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus_serializer.ts";

/** What a {@linkcode PrometheusEndpoint} needs. */
export interface PrometheusEndpointDeps {
  platform: Platform;
  logger: Logger;
  stats: ExporterStats;
  /** Renders the current metrics. */
  render: () => Promise<string>;
}

/** The URL of a listener, with IPv6 hosts in brackets. */
export function listenerUrl(hostname: string, port: number, path: string): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `http://${host}:${port}${path}`;
}

/** One Prometheus listener. */
export class PrometheusEndpoint {
  readonly config: PrometheusExporterConfig;
  readonly name: string;
  readonly #deps: PrometheusEndpointDeps;
  #server: HttpServer | undefined;
  #url: string | undefined;

  constructor(config: PrometheusExporterConfig, deps: PrometheusEndpointDeps) {
    this.config = config;
    this.name = config.name ?? config.type;
    this.#deps = deps;
  }

  /** The URL actually bound (after `start()`). */
  get url(): string | undefined {
    return this.#url;
  }

  /** Binds the listener; rejects with a `ConnectError` naming `host:port`. */
  async start(): Promise<void> {
    if (this.#server) return;
    const { hostname, port } = splitListen(this.config.listen);
    try {
      this.#server = await this.#deps.platform.serve({
        hostname,
        port,
        handler: (req) => this.#handle(req),
      });
    } catch (err) {
      const endpoint = this.config.listen;
      const why = err instanceof ConnectError
        ? err.message
        : `Cannot listen on ${endpoint}: ${errorMessage(err)}`;
      throw new ConnectError(endpoint, `${why} (exporter ${JSON.stringify(this.name)})`, {
        cause: err,
      });
    }
    this.#url = listenerUrl(this.#server.hostname, this.#server.port, this.config.path);
    this.#deps.stats.endpoint = this.#url;
  }

  /** Closes the listener; safe to call twice. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#url = undefined;
    await server?.close();
  }

  async #handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path !== this.config.path) {
      return new Response(`Not Found: metrics are at ${this.config.path}\n`, {
        status: 404,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method Not Allowed\n", {
        status: 405,
        headers: { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" },
      });
    }
    try {
      const body = await this.#deps.render();
      this.#deps.stats.succeeded();
      return new Response(req.method === "HEAD" ? null : body, {
        headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
      });
    } catch (err) {
      const message = errorMessage(err);
      this.#deps.stats.failed(message);
      return new Response(`Internal Server Error: ${message}\n`, {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
  }
}
