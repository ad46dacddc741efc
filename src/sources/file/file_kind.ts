/**
 * The `file` source kind: reads a file each interval (a node-exporter-style
 * textfile, a JSON lines dump, a number written by a cron job) and parses it.
 * @module
 */
import { z } from "zod";
import { isValidMetricName, OUTPUT_FORMATS, type SourceKind } from "../../core/mod.ts";
import { FileSource } from "./file_source.ts";

/** The `file` kind's own fields (merged with the common source fields by the agent). */
export const fileFields = {
  /** Path of the file, relative to the config file's directory. */
  path: z.string().min(1, { message: "expected a file path" }),
  /** `auto` picks by extension (`.prom` → prometheus, `.json`/`.jsonl`/`.ndjson` → json), else by content. @default {"auto"} */
  format: z.enum(OUTPUT_FORMATS).default("auto"),
  /** Name of the sample a bare number becomes. @default {"value"} */
  metric: z.string().refine(isValidMetricName, {
    message: "expected a metric name: a letter, then letters, digits, '_', '.', '-' or '/'",
  }).default("value"),
  /** A larger file is not read. @default {1048576} (bytes) */
  max_size: z.number().int().min(1).default(1_048_576),
};

/** The validated `file` fields. */
export type FileFields = z.output<z.ZodObject<typeof fileFields>>;

/**
 * The `file` kind: parses a file's content into samples.
 *
 * @example In a config
 * ```toml
 * [[custom_metrics.sources]]
 * name = "backup"
 * type = "file"
 * path = "/var/lib/backup/metrics.prom"
 * ```
 */
export const fileKind: SourceKind<FileFields> = {
  type: "file",
  description: "Reads a file each interval and parses it: a number, JSON lines or Prometheus text",
  fields: fileFields,
  create(config, deps) {
    return new FileSource(config, deps);
  },
};
