/**
 * The export layer's config schemas: one `[[custom_metrics.exporters]]` item
 * (prometheus, otlp, console) and `[custom_metrics.resource]`, with defaults.
 * @module
 */
import { z } from "zod";
import { zAttributes, zDuration, zListen } from "../config/mod.ts";
import { safeDecode } from "./_private.ts";
import { prometheusLabelName } from "./prometheus_names.ts";

const zExporterName = z.string().regex(/^[A-Za-z][A-Za-z0-9_\-]{0,63}$/, {
  message: "expected a name of letters, digits, '_' or '-', starting with a letter (at most 64)",
});

/** Interval of the push exporters: at least 100 ms. */
const zInterval = () => zDuration({ min: 100 });

/** `[[custom_metrics.exporters]]` with `type = "prometheus"`: a pull endpoint. */
export const prometheusExporterSchema = z.strictObject({
  type: z.literal("prometheus"),
  /** @default {"prometheus"} */
  name: zExporterName.optional(),
  /** @default {"127.0.0.1:9464"} */
  listen: zListen.default("127.0.0.1:9464"),
  /** @default {"/metrics"} */
  path: z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%\/\-]*$/, {
    message: 'expected an absolute URL path such as "/metrics"',
  }).default("/metrics"),
});

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z\-]+$/;

const ENDPOINT_EXAMPLE = '"http://127.0.0.1:4318/v1/metrics"';

/**
 * An OTLP/HTTP endpoint. A URL without a path (`http://collector:4318`) gets
 * `/v1/metrics` appended, the way OTEL_EXPORTER_OTLP_ENDPOINT works. A user
 * name or password that is not valid percent-encoding (`p%zz`) is taken
 * literally, as the http source does, and re-encoded (`p%25zz`): the HTTP
 * client decodes it for Basic auth and would otherwise fail every export.
 * Messages never repeat the URL: it may hold a password.
 */
const zOtlpEndpoint = z.string({
  message: `expected an http(s) URL such as ${ENDPOINT_EXAMPLE}`,
}).transform((s, ctx) => {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: `expected an http(s) URL such as ${ENDPOINT_EXAMPLE}; this one cannot be parsed`,
    });
    return z.NEVER;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    ctx.addIssue({
      code: "custom",
      message: `expected an http(s) URL such as ${ENDPOINT_EXAMPLE}, not ${
        JSON.stringify(u.protocol.slice(0, -1))
      }`,
    });
    return z.NEVER;
  }
  if (u.username) u.username = reencodeUserinfo(u.username);
  if (u.password) u.password = reencodeUserinfo(u.password);
  if (u.pathname === "/") u.pathname = "/v1/metrics";
  return u.toString();
});

/** A URL user-info part that decodes: as it is when valid, else its literal text encoded. */
function reencodeUserinfo(part: string): string {
  const decoded = safeDecode(part);
  return decoded === part && part.includes("%") ? encodeURIComponent(part) : part;
}

/** `[[custom_metrics.exporters]]` with `type = "otlp"`: pushes OTLP over HTTP. */
export const otlpExporterSchema = z.strictObject({
  type: z.literal("otlp"),
  /** @default {"otlp"} */
  name: zExporterName.optional(),
  /** @default {"http://127.0.0.1:4318/v1/metrics"} */
  endpoint: zOtlpEndpoint.default("http://127.0.0.1:4318/v1/metrics"),
  /** @default {"http/protobuf"} */
  protocol: z.enum(["http/protobuf", "http/json"]).default("http/protobuf"),
  /** Extra request headers (e.g. an API key). Values are secrets: never logged. */
  headers: z.record(
    z.string(),
    z.string().regex(/^[^\r\n]*$/, { message: "header values must not contain line breaks" }),
  ).superRefine((headers, ctx) => {
    for (const key of Object.keys(headers)) {
      if (!HEADER_NAME.test(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `expected an HTTP header name, found ${JSON.stringify(key)}`,
        });
      }
    }
  }).default({}),
  /** Milliseconds between exports. @default {60000} */
  interval: zInterval().default(60_000),
  /** Milliseconds per export attempt, retries included; capped at `interval`. @default {10000} */
  timeout: zDuration({ min: 100 }).default(10_000),
  /** @default {"cumulative"} */
  temporality: z.enum(["cumulative", "delta"]).default("cumulative"),
  /** Failed batches kept for a retry; when full the oldest is dropped and counted (0 = no retries). @default {100} */
  retry_buffer: z.number().int().min(0).max(100_000).default(100),
  /** First wait after a failed export; doubles (±20%) per failure in a row. @default {1000} */
  retry_initial: zDuration({ min: 10 }).default(1_000),
  /** Longest wait between attempts. @default {60000} */
  retry_max: zDuration({ min: 10 }).default(60_000),
});

/** `[[custom_metrics.exporters]]` with `type = "console"`: prints metrics periodically. */
export const consoleExporterSchema = z.strictObject({
  type: z.literal("console"),
  /** @default {"console"} */
  name: zExporterName.optional(),
  /** Milliseconds between prints. @default {60000} */
  interval: zInterval().default(60_000),
  /** @default {"text"} */
  format: z.enum(["text", "json"]).default("text"),
});

/** One item of `[[custom_metrics.exporters]]`. */
export const exporterSchema = z.discriminatedUnion("type", [
  prometheusExporterSchema,
  otlpExporterSchema,
  consoleExporterSchema,
]);

/** A validated exporter config (durations in milliseconds). */
export type ExporterConfig = z.output<typeof exporterSchema>;
/** A validated Prometheus exporter config. */
export type PrometheusExporterConfig = z.output<typeof prometheusExporterSchema>;
/** A validated OTLP exporter config. */
export type OtlpExporterConfig = z.output<typeof otlpExporterSchema>;
/** A validated console exporter config. */
export type ConsoleExporterConfig = z.output<typeof consoleExporterSchema>;

/** The name an exporter goes by in logs and status: its `name`, else its type. */
export function exporterName(config: ExporterConfig): string {
  return config.name ?? config.type;
}

/** Attributes Sextant sets itself; `attributes` may override `host.name` only. */
const RESERVED_RESOURCE_KEYS = ["service.name", "service.namespace"];

/** `[custom_metrics.resource]`: the OTel resource of everything exported. */
export const resourceSchema = z.strictObject({
  /** @default {"sextant"} */
  service_name: z.string().min(1).default("sextant"),
  service_namespace: z.string().min(1).optional(),
  /** Extra resource attributes; `host.name` is added automatically unless set here. */
  attributes: zAttributes.default({}),
}).superRefine((r, ctx) => {
  const labels = new Map<string, string>([["service_name", "service_name"], [
    "service_namespace",
    "service_namespace",
  ]]);
  for (const key of Object.keys(r.attributes)) {
    if (RESERVED_RESOURCE_KEYS.includes(key)) {
      ctx.addIssue({
        code: "custom",
        path: ["attributes", key],
        message: `set ${JSON.stringify(key)} with ${key.replace(".", "_")} instead`,
      });
      continue;
    }
    const label = prometheusLabelName(key);
    const clash = labels.get(label);
    if (clash !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["attributes", key],
        message: `attribute ${JSON.stringify(key)} and ${
          JSON.stringify(clash)
        } both become the Prometheus label ${JSON.stringify(label)}`,
      });
    } else labels.set(label, key);
  }
}).prefault({});

/** A validated resource config. */
export type ResourceConfig = z.output<typeof resourceSchema>;

/** What runs when no exporter is configured: Prometheus on 127.0.0.1:9464/metrics. */
export const DEFAULT_EXPORTERS: ExporterConfig[] = [
  { type: "prometheus", listen: "127.0.0.1:9464", path: "/metrics" },
];

/**
 * Secret values in an exporter config (OTLP header values), for the redactor.
 *
 * @example Registering secrets
 * ```ts
 * for (const s of exporterSecrets(cfg)) redactor.add(s);
 * ```
 */
export function exporterSecrets(config: ExporterConfig): string[] {
  if (config.type !== "otlp") return [];
  const out = Object.values(config.headers).filter((v) => v.length > 0);
  // "Bearer abc" style values: the token alone may also show up.
  for (const v of Object.values(config.headers)) {
    const m = /^\S+\s+(\S{4,})$/.exec(v);
    if (m) out.push(m[1]);
  }
  // Both forms: the URL carries the encoded one, the HTTP client sends the decoded one.
  const password = URL.canParse(config.endpoint) ? new URL(config.endpoint).password : "";
  if (password) out.push(password, safeDecode(password));
  return [...new Set(out)];
}
