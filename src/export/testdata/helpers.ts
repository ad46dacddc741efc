/** Shared test helpers: samples, a capturing logger, pipelines on real parts. @module */
import {
  type Attributes,
  createLogger,
  type Logger,
  type MetricType,
  type Sample,
} from "../../core/mod.ts";
import { platform } from "../../runtime/mod.ts";
import { type ExporterConfig, exporterSchema, resourceSchema } from "../config.ts";
import {
  createExportPipeline,
  type ExportPipeline,
  type ExportPipelineOptions,
} from "../pipeline.ts";

/** A sample with a current timestamp. */
export function sample(
  name: string,
  value: number,
  type: MetricType = "gauge",
  attributes: Attributes = {},
  extra: Partial<Sample> = {},
): Sample {
  return { name, value, type, attributes, timestamp: Date.now(), ...extra };
}

/** A JSON logger at debug level whose parsed lines end up in `lines`. */
export function captureLogger(): {
  logger: Logger;
  lines: Record<string, unknown>[];
  raw: string[];
} {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: (l) => {
      raw.push(l);
      lines.push(JSON.parse(l));
    },
  });
  return { logger, lines, raw };
}

/** A pipeline on the real platform; exporters are given as raw config (validated here). */
export function makePipeline(
  exporters: Record<string, unknown>[],
  extra: Partial<ExportPipelineOptions> & { resource?: Record<string, unknown> } = {},
): {
  pipeline: ExportPipeline;
  lines: Record<string, unknown>[];
  raw: string[];
  printed: string[];
} {
  const { logger, lines, raw } = captureLogger();
  const printed: string[] = [];
  const { resource, ...rest } = extra;
  const pipeline = createExportPipeline({
    exporters: exporters.map((e) => exporterSchema.parse(e) as ExporterConfig),
    resource: resourceSchema.parse(resource ?? { service_name: "sextant-test" }),
    platform,
    logger,
    writeConsole: (l) => printed.push(l),
    ...rest,
  });
  return { pipeline, lines, raw, printed };
}
