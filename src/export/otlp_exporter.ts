/**
 * The OTLP exporter: the official OTLP/HTTP exporters (protobuf or JSON),
 * and how their errors read in one safe log line.
 * @module
 */
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as OtlpJsonExporter,
} from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OtlpProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import type { PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { errorMessage, ExportError, TimeoutError } from "../core/mod.ts";
import { scrub } from "./_private.ts";
import { exporterSecrets, type OtlpExporterConfig } from "./config.ts";

/** The export timeout actually used: `timeout`, capped at `interval`. */
export function otlpTimeout(config: OtlpExporterConfig): number {
  return Math.min(config.timeout, config.interval);
}

/**
 * Builds the official exporter for a config. Standard `OTEL_EXPORTER_OTLP_*`
 * environment variables fill in only what the config leaves unset (extra
 * headers, compression, TLS files).
 *
 * @example Building a protobuf exporter
 * ```ts
 * const exporter = createOtlpExporter(otlpExporterSchema.parse({ type: "otlp" }));
 * ```
 */
export function createOtlpExporter(config: OtlpExporterConfig): PushMetricExporter {
  const options = {
    url: config.endpoint,
    headers: { ...config.headers },
    timeoutMillis: otlpTimeout(config),
    temporalityPreference: config.temporality === "delta"
      ? AggregationTemporalityPreference.DELTA
      : AggregationTemporalityPreference.CUMULATIVE,
    userAgent: "sextant",
  };
  try {
    return config.protocol === "http/json"
      ? new OtlpJsonExporter(options)
      : new OtlpProtoExporter(options);
  } catch (err) {
    // E.g. Deno without env permission for the OTEL_EXPORTER_OTLP_* variables the exporter reads.
    const name = config.name ?? config.type;
    throw new ExportError(
      name,
      `Cannot create the OTLP exporter ${JSON.stringify(name)}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

const MAX_BODY = 200;

/**
 * One line for an export error: no stack, no header value, at most a short
 * excerpt of the receiver's answer.
 */
export function describeOtlpError(err: unknown, config: OtlpExporterConfig): string {
  const secrets = exporterSecrets(config);
  let text: string;
  if (err instanceof TimeoutError) {
    text = err.message;
  } else if (err instanceof Error && err.message === "Request timed out") {
    text = `timed out after ${otlpTimeout(config)} ms`;
  } else if (err instanceof Error && err.message === "Export failed with retryable status") {
    text = "the receiver kept answering 429, 502, 503 or 504 until retries ran out";
  } else if (err instanceof Error && typeof (err as { code?: unknown }).code === "number") {
    const e = err as Error & { code: number; data?: unknown };
    text = `HTTP ${e.code}${e.message ? ` ${e.message}` : ""}`;
    if (typeof e.data === "string" && e.data.trim() !== "") {
      const body = e.data.trim().replace(/\s+/g, " ");
      text += `: ${JSON.stringify(body.length > MAX_BODY ? `${body.slice(0, MAX_BODY)}…` : body)}`;
    }
  } else {
    text = errorMessage(err) || "unknown error";
  }
  return scrub(text.split("\n")[0], secrets);
}
