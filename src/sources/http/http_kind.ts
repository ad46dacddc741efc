/**
 * The `http` source kind: its config schema, cross-field checks, secrets and
 * factory. The collection itself lives in `http_source.ts`.
 * @module
 */
import { z } from "zod";
import { isValidMetricName, type MetricType, type SourceKind } from "../../core/mod.ts";
import { isSecretKey, zAttributes, zMetricType } from "../../config/mod.ts";
import { HttpSource, safeDecode } from "./http_source.ts";
import { parseJsonPath } from "./json_path.ts";
import { HEADER_NAME, headerValueProblem } from "./_http_private.ts";

/** Methods the check may use. */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Metric names the source emits itself; a `json_metrics` entry may not reuse them. */
export const HTTP_BUILTIN_METRICS = ["response_time", "status_code", "up"] as const;

const zStatus = z.number().int().min(100).max(599);

const zMetricName = z.string().refine(isValidMetricName, {
  message: "expected a metric name: a letter, then letters, digits, '_', '.', '-' or '/'",
});

/** One value picked out of a JSON response body. */
const zJsonMetric = z.strictObject({
  name: zMetricName,
  /** `data.items[0].count`, `$.stats["p99.9"]`, `list[-1]`. */
  path: z.string().superRefine((p, ctx) => {
    try {
      parseJsonPath(p);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message, input: p });
    }
  }),
  otel_type: zMetricType.optional(),
  unit: z.string().optional(),
  attributes: zAttributes.optional(),
});

/** The `http` kind's own fields (merged with the common source fields by the agent). */
export const httpFields = {
  /** Absolute http(s) URL; userinfo becomes a Basic `Authorization` header. */
  url: z.string().refine(isHttpUrl, { message: "expected an absolute http:// or https:// URL" }),
  /** @default {"GET"} */
  method: z.preprocess((v) => (typeof v === "string" ? v.toUpperCase() : v), z.enum(HTTP_METHODS))
    .default("GET"),
  headers: z.record(
    z.string().regex(HEADER_NAME, { message: "expected an HTTP header name" }),
    z.string().superRefine((v, ctx) => {
      const problem = headerValueProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem, input: v });
    }),
  ).default({}),
  body: z.string().optional(),
  /** A status or a list of statuses; any 2xx when absent. */
  expect_status: z.union([zStatus, z.array(zStatus).min(1)]).optional(),
  json_metrics: z.array(zJsonMetric).default([]),
  /** Bytes of the body read at most. @default {1048576} */
  max_body: z.number().int().min(1).default(1_048_576),
};

/** The validated `http` fields. */
export type HttpFields = z.output<z.ZodObject<typeof httpFields>>;

/** A `json_metrics` entry after validation. */
export type JsonMetric = Omit<z.output<typeof zJsonMetric>, "otel_type"> & {
  otel_type?: MetricType;
};

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * The `http` kind: probes a URL and reports `response_time`, `status_code`,
 * `up`, and numbers picked out of a JSON body.
 *
 * @example In a config
 * ```toml
 * [[custom_metrics.sources]]
 * name = "api_health"
 * type = "http"
 * url = "http://127.0.0.1:8080/health"
 * ```
 */
export const httpKind: SourceKind<HttpFields> = {
  type: "http",
  description: "Probes an HTTP endpoint: response time, status, up, and numbers from a JSON body",
  fields: httpFields,
  check(config) {
    const problems: { path: (string | number)[]; message: string }[] = [];
    if (config.body !== undefined && (config.method === "GET" || config.method === "HEAD")) {
      problems.push({
        path: ["body"],
        message: `a body needs a method other than ${config.method}, e.g. method = "POST"`,
      });
    }
    const seen = new Set<string>();
    config.json_metrics.forEach((m, i) => {
      if ((HTTP_BUILTIN_METRICS as readonly string[]).includes(m.name)) {
        problems.push({
          path: ["json_metrics", i, "name"],
          message: `${
            JSON.stringify(m.name)
          } is emitted by the http source itself; choose another name`,
        });
        return;
      }
      const series = JSON.stringify([m.name, Object.entries(m.attributes ?? {}).sort()]);
      if (seen.has(series)) {
        problems.push({
          path: ["json_metrics", i, "name"],
          message: `duplicate series ${
            JSON.stringify(m.name)
          }: give each entry its own name or attributes`,
        });
      }
      seen.add(series);
    });
    return problems;
  },
  secrets(config) {
    const out: string[] = [];
    const u = new URL(config.url);
    if (u.password) out.push(u.password, safeDecode(u.password));
    // A userinfo without a password is a token (`https://ghp_xxx@host`), not a user name.
    else if (u.username) out.push(u.username, safeDecode(u.username));
    for (const [k, v] of u.searchParams) if (isSecretKey(k)) out.push(v);
    for (const [k, v] of Object.entries(config.headers)) {
      if (!isSecretKey(k, "headers")) continue;
      out.push(v);
      const scheme = /^\s*\S+\s+(\S.*)$/.exec(v);
      if (scheme) out.push(scheme[1].trim());
    }
    return out.filter((s) => s !== "");
  },
  create(config, deps) {
    return new HttpSource(config, deps);
  },
};
