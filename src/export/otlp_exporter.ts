/**
 * The OTLP exporter: the official OTLP/HTTP exporters (protobuf or JSON),
 * and how their errors read in one safe log line.
 * @module
 */
import process from "node:process";
import {
  type AggregationOption,
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { errorMessage, ExportError, TimeoutError } from "../core/mod.ts";
import { scrub } from "./_private.ts";
import { exporterSecrets, type OtlpExporterConfig } from "./config.ts";
import { type ExportResult, FAILED } from "./monitored_exporter.ts";

/** The export timeout actually used: `timeout`, capped at `interval`. */
export function otlpTimeout(config: OtlpExporterConfig): number {
  return Math.min(config.timeout, config.interval);
}

/**
 * The variables the official exporter reads when it is built, read here
 * first so that a missing permission fails at startup, as the exporter would,
 * although the exporter itself is built only at the first export.
 */
function otlpEnvNames(): string[] {
  const out: string[] = [];
  for (const part of ["HEADERS", "TIMEOUT", "COMPRESSION", "ENDPOINT"]) {
    out.push(`OTEL_EXPORTER_OTLP_METRICS_${part}`, `OTEL_EXPORTER_OTLP_${part}`);
  }
  for (const part of ["CLIENT_CERTIFICATE", "CLIENT_KEY", "CERTIFICATE"]) {
    out.push(`OTEL_EXPORTER_OTLP_METRICS_${part}`, `OTEL_EXPORTER_OTLP_${part}`);
  }
  return out;
}

function creationError(config: OtlpExporterConfig, err: unknown): ExportError {
  const name = config.name ?? config.type;
  return new ExportError(
    name,
    `Cannot create the OTLP exporter ${JSON.stringify(name)}: ${errorMessage(err)}`,
    { cause: err },
  );
}

/**
 * Builds the official exporter for a config, loading its module (protobuf or
 * JSON, with their transports: several MiB) only now. Standard
 * `OTEL_EXPORTER_OTLP_*` environment variables fill in only what the config
 * leaves unset (extra headers, compression, TLS files).
 */
async function loadOtlpExporter(config: OtlpExporterConfig): Promise<PushMetricExporter> {
  const delta = config.temporality === "delta";
  const common = {
    url: config.endpoint,
    headers: { ...config.headers },
    timeoutMillis: otlpTimeout(config),
    userAgent: "sextant",
  };
  if (config.protocol === "http/json") {
    const m = await import("@opentelemetry/exporter-metrics-otlp-http");
    const temporalityPreference = delta
      ? m.AggregationTemporalityPreference.DELTA
      : m.AggregationTemporalityPreference.CUMULATIVE;
    try {
      return new m.OTLPMetricExporter({ ...common, temporalityPreference });
    } catch (err) {
      throw creationError(config, err);
    }
  }
  const [http, proto] = await Promise.all([
    import("@opentelemetry/exporter-metrics-otlp-http"),
    import("@opentelemetry/exporter-metrics-otlp-proto"),
  ]);
  const temporalityPreference = delta
    ? http.AggregationTemporalityPreference.DELTA
    : http.AggregationTemporalityPreference.CUMULATIVE;
  try {
    return new proto.OTLPMetricExporter({ ...common, temporalityPreference });
  } catch (err) {
    throw creationError(config, err);
  }
}

const DEFAULT_AGGREGATION: AggregationOption = Object.freeze({ type: AggregationType.DEFAULT });

/**
 * The official exporter's delta preference: delta for counters, gauges and
 * histograms, cumulative for up-down counters (whose deltas mean nothing).
 */
function deltaTemporality(type: InstrumentType): AggregationTemporality {
  return type === InstrumentType.UP_DOWN_COUNTER ||
      type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
    ? AggregationTemporality.CUMULATIVE
    : AggregationTemporality.DELTA;
}

/**
 * An OTLP exporter whose module loads at the first export, so that a run
 * without OTLP never loads it. It answers the reader's temporality and
 * aggregation questions itself, exactly as the official exporter would for
 * the same config (the reader asks them while it is built).
 */
class LazyOtlpExporter implements PushMetricExporter {
  readonly #config: OtlpExporterConfig;
  #loading?: Promise<PushMetricExporter>;

  constructor(config: OtlpExporterConfig) {
    this.#config = config;
  }

  #exporter(): Promise<PushMetricExporter> {
    return (this.#loading ??= loadOtlpExporter(this.#config));
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.#exporter().then(
      (e) => e.export(metrics, resultCallback),
      (error) => resultCallback({ code: FAILED, error }),
    );
  }

  async forceFlush(): Promise<void> {
    // Not loaded (nothing exported yet), failed to load or shut down: nothing to flush.
    await (await this.#loading?.catch(() => undefined))?.forceFlush();
  }

  async shutdown(): Promise<void> {
    const loading = this.#loading;
    // Shut down for good: a later export must not load the module after all.
    this.#loading = Promise.reject(
      new ExportError(this.#config.name ?? this.#config.type, "the OTLP exporter is shut down"),
    );
    this.#loading.catch(() => {});
    if (loading) await (await loading.catch(() => undefined))?.shutdown();
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this.#config.temporality === "delta"
      ? deltaTemporality(type)
      : AggregationTemporality.CUMULATIVE;
  }

  selectAggregation(): AggregationOption {
    return DEFAULT_AGGREGATION;
  }
}

/**
 * The exporter for a config: the official OTLP/HTTP exporter (protobuf or
 * JSON), loaded at its first export. The environment variables it reads are
 * checked now, so that a missing permission is an `ExportError` at startup.
 *
 * @example Building a protobuf exporter
 * ```ts
 * const exporter = createOtlpExporter(otlpExporterSchema.parse({ type: "otlp" }));
 * ```
 */
export function createOtlpExporter(config: OtlpExporterConfig): PushMetricExporter {
  try {
    // E.g. Deno without env permission for the OTEL_EXPORTER_OTLP_* variables the exporter reads.
    for (const name of otlpEnvNames()) void process.env[name];
  } catch (err) {
    throw creationError(config, err);
  }
  return new LazyOtlpExporter(config);
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
