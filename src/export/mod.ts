/**
 * The export layer: samples go into OpenTelemetry instruments and leave
 * through a Prometheus endpoint, OTLP/HTTP pushes and a console printer.
 *
 * @example A pipeline with the default exporter
 * ```ts
 * import { createExportPipeline, DEFAULT_EXPORTERS, resourceSchema } from "./src/export/mod.ts";
 * const pipeline = createExportPipeline({
 *   exporters: DEFAULT_EXPORTERS,
 *   resource: resourceSchema.parse({}),
 *   platform,
 *   logger: logger.child("export"),
 * });
 * await pipeline.start(); // http://127.0.0.1:9464/metrics
 * const { rejected } = pipeline.write("db", samples);
 * await pipeline.stop();
 * ```
 * @module
 */
export {
  type ConsoleExporterConfig,
  consoleExporterSchema,
  DEFAULT_EXPORTERS,
  type ExporterConfig,
  exporterName,
  exporterSchema,
  exporterSecrets,
  type OtlpExporterConfig,
  otlpExporterSchema,
  type PrometheusExporterConfig,
  prometheusExporterSchema,
  type ResourceConfig,
  resourceSchema,
} from "./config.ts";
export type { ExporterStatus } from "./exporter_status.ts";
export {
  createExportPipeline,
  type ExportPipeline,
  type ExportPipelineOptions,
  type PipelineInspection,
  type WriteResult,
} from "./pipeline.ts";
export type { RejectedSample } from "./series_store.ts";
export {
  prometheusFamilyName,
  prometheusLabelName,
  prometheusMetricName,
} from "./prometheus_names.ts";
export { PROMETHEUS_CONTENT_TYPE } from "./prometheus_serializer.ts";
