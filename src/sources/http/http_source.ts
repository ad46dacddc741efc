/**
 * One HTTP probe per collection with web-standard `fetch`: times the
 * response, checks its status and picks numbers out of a JSON body.
 * @module
 */
import {
  type Accumulator,
  coerceNumber,
  CollectError,
  type CommonSourceConfig,
  ConnectError,
  errorMessage,
  type Logger,
  type MetricType,
  type Redactor,
  type Source,
  type SourceDeps,
  TimeoutError,
  VERSION,
} from "../../core/mod.ts";
import type { HttpFields, JsonMetric } from "./http_kind.ts";
import { getJsonPath, parseJsonPath, type PathSegment } from "./json_path.ts";
import { HEADER_NAME, headerValueProblem } from "./_http_private.ts";

/**
 * The request deadline: a little under the source's timeout, so that the
 * source itself reports the timeout (with `up = 0`) before the agent gives up
 * on the collection and drops late samples.
 */
export function requestDeadline(timeoutMs: number): number {
  return Math.max(1, timeoutMs - Math.min(250, Math.floor(timeoutMs / 10)));
}

/** A running `http` source. */
export class HttpSource implements Source {
  readonly type = "http";
  readonly name: string;
  #method: string;
  #url: string;
  /** The URL as it may appear in messages: password masked. */
  #shown: string;
  #headers: Headers;
  /** Configured headers that cannot be sent (the schema rejects them; this is the fallback). */
  #badHeaders: { name: string; problem: string }[] = [];
  #body?: string;
  #expect: (status: number) => boolean;
  #expectText: string;
  #picks: { metric: JsonMetric; path: PathSegment[] }[];
  #maxBody: number;
  #deadline: number;
  #log: Logger;
  #redactor: Redactor;
  #life = new AbortController();

  constructor(config: HttpFields & CommonSourceConfig, deps: SourceDeps) {
    this.name = config.name;
    this.#log = deps.logger;
    this.#redactor = deps.redactor;
    this.#method = config.method;
    this.#body = config.body;
    this.#maxBody = config.max_body;
    this.#deadline = requestDeadline(config.timeout);
    this.#headers = new Headers();
    for (const [name, value] of Object.entries(config.headers)) {
      let problem = HEADER_NAME.test(name)
        ? headerValueProblem(value)
        : "expected an HTTP header name";
      if (!problem) {
        try {
          this.#headers.set(name, value);
        } catch {
          problem = "the runtime refused the header";
        }
      }
      if (problem) this.#badHeaders.push({ name, problem });
    }
    if (!this.#headers.has("user-agent")) this.#headers.set("user-agent", `sextant/${VERSION}`);
    const url = new URL(config.url);
    if (url.username || url.password) {
      // fetch implementations differ on userinfo; send it as Basic auth, the way curl does.
      if (url.password) deps.redactor.add(safeDecode(url.password));
      else {
        deps.redactor.add(url.username);
        deps.redactor.add(safeDecode(url.username));
      }
      if (!this.#headers.has("authorization")) {
        const basic = toBase64(`${safeDecode(url.username)}:${safeDecode(url.password)}`);
        deps.redactor.add(basic);
        this.#headers.set("authorization", `Basic ${basic}`);
      }
      url.username = "";
      url.password = "";
    }
    this.#url = url.href;
    this.#shown = deps.redactor.redact(config.url);
    const expect = config.expect_status === undefined
      ? undefined
      : Array.isArray(config.expect_status)
      ? config.expect_status
      : [config.expect_status];
    this.#expect = expect ? (s) => expect.includes(s) : (s) => s >= 200 && s <= 299;
    this.#expectText = expect ? expect.join(" or ") : "2xx";
    this.#picks = config.json_metrics.map((m) => ({
      metric: m as JsonMetric,
      path: parseJsonPath(m.path),
    }));
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  async collect(acc: Accumulator, signal: AbortSignal): Promise<void> {
    if (this.#badHeaders.length > 0) {
      // Sending the request without a header (often the credentials) would only mislead.
      acc.add({ name: "up", value: 0, type: "gauge" });
      for (const { name, problem } of this.#badHeaders) {
        const item = `header ${name}`;
        acc.fail(
          new CollectError(
            this.name,
            `http source ${JSON.stringify(this.name)}: cannot send header ${
              JSON.stringify(name)
            }: ${problem}`,
            { query: item },
          ),
          item,
        );
      }
      return;
    }
    const ownTimeout = AbortSignal.timeout(this.#deadline);
    const sig = AbortSignal.any([signal, ownTimeout, this.#life.signal]);
    const t0 = performance.now();
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: this.#method,
        headers: this.#headers,
        body: this.#body,
        signal: sig,
      });
    } catch (err) {
      acc.add({ name: "up", value: 0, type: "gauge" });
      acc.fail(this.#failure(err, sig, "cannot reach"), this.#shown);
      return;
    }
    const status = res.status;
    acc.add({ name: "status_code", value: status, type: "gauge" });
    let body: { bytes: Uint8Array; truncated: boolean };
    try {
      body = await readCapped(res.body, this.#maxBody, sig);
    } catch (err) {
      acc.add({ name: "up", value: 0, type: "gauge" });
      acc.fail(this.#failure(err, sig, "cannot read the body of"), this.#shown);
      return;
    }
    const ms = performance.now() - t0;
    const ok = this.#expect(status);
    acc.add({ name: "response_time", value: Math.round(ms * 1000) / 1000, unit: "ms" });
    acc.add({ name: "up", value: ok ? 1 : 0, type: "gauge" });
    this.#log.debug("probe done", { status, ms: Math.round(ms), bytes: body.bytes.byteLength });
    if (!ok) {
      acc.fail(
        new CollectError(
          this.name,
          `http source ${JSON.stringify(this.name)}: ${this.#method} ${
            JSON.stringify(this.#shown)
          } returned status ${status}, expected ${this.#expectText}`,
          { query: this.#shown },
        ),
        this.#shown,
      );
      return;
    }
    if (this.#picks.length > 0) this.#pick(acc, body);
  }

  /** Adds the `json_metrics` values; each missing or non-numeric one is its own error. */
  #pick(acc: Accumulator, body: { bytes: Uint8Array; truncated: boolean }): void {
    const fail = (message: string, item: string) =>
      acc.addError(
        new CollectError(this.name, `http source ${JSON.stringify(this.name)}: ${message}`, {
          query: item,
        }),
        item,
      );
    if (body.truncated) {
      return fail(
        `the response body is larger than max_body (${this.#maxBody} bytes); no json_metrics read`,
        this.#shown,
      );
    }
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(body.bytes));
    } catch (err) {
      return fail(
        `the response body of ${JSON.stringify(this.#shown)} is not JSON: ${errorMessage(err)}`,
        this.#shown,
      );
    }
    for (const { metric, path } of this.#picks) {
      const got = getJsonPath(doc, path);
      if (!got.found) {
        fail(
          `json_metrics ${JSON.stringify(metric.name)}: path ${
            JSON.stringify(metric.path)
          } not found (no ${JSON.stringify(got.missing)})`,
          metric.name,
        );
        continue;
      }
      const v = coerceNumber(got.value);
      if (!v.ok) {
        fail(
          `json_metrics ${JSON.stringify(metric.name)}: ${v.message} at ${
            JSON.stringify(metric.path)
          }`,
          metric.name,
        );
        continue;
      }
      acc.add({
        name: metric.name,
        value: v.value,
        ...(metric.otel_type && { type: metric.otel_type as MetricType }),
        ...(metric.unit && { unit: metric.unit }),
        ...(metric.attributes && { attributes: metric.attributes }),
      });
    }
  }

  /** The error of a request that produced no usable response. */
  #failure(err: unknown, sig: AbortSignal, doing: string): Error {
    const what = `${this.#method} ${JSON.stringify(this.#shown)}`;
    const prefix = `http source ${JSON.stringify(this.name)}`;
    if (sig.aborted) {
      const reason: unknown = sig.reason;
      if (reason instanceof TimeoutError) {
        return new TimeoutError(`${prefix}: ${what}`, reason.timeoutMs, { cause: err });
      }
      if ((reason as Error | undefined)?.name === "TimeoutError") {
        return new TimeoutError(`${prefix}: ${what}`, this.#deadline, { cause: err });
      }
      return new CollectError(this.name, `${prefix}: ${what} was aborted`, {
        cause: err,
        query: this.#shown,
      });
    }
    return new ConnectError(
      this.#shown,
      `${prefix}: ${doing} ${what}: ${this.#redactor.redact(errorMessage(err))}`,
      { cause: err },
    );
  }

  /** Aborts a request in flight. Safe to call twice. */
  stop(): Promise<void> {
    this.#life.abort(new Error("source stopped"));
    return Promise.resolve();
  }
}

/** Reads at most `max` bytes of a body; cancels the rest. Rejects when `signal` aborts. */
async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  max: number,
  signal: AbortSignal,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!body) return { bytes: new Uint8Array(0), truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      if (size + value.byteLength > max) {
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (truncated || signal.aborted) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, truncated };
}

function toBase64(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** `decodeURIComponent`, or the text as it is when it is not valid percent-encoding. */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
