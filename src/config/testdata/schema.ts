/**
 * A schema modelling the DESIGN.md §3 example, for the loader's tests (the
 * real schema is assembled by the agent from each component's fields).
 * @module
 */
import { z } from "zod";
import { commonSourceFields, zDuration, zMetricType } from "../fields.ts";

const query = z.strictObject({
  name: z.string(),
  sql: z.string(),
  params: z.array(z.string()).default([]),
  otel_type: zMetricType.default("gauge"),
});

const database = z.strictObject({
  ...commonSourceFields,
  type: z.literal("database"),
  connection_string: z.string(),
  queries: z.array(query).min(1),
});

const http = z.strictObject({
  ...commonSourceFields,
  type: z.literal("http"),
  url: z.string(),
  method: z.enum(["GET", "POST", "HEAD"]).default("GET"),
  headers: z.record(z.string(), z.string()).default({}),
});

const command = z.strictObject({
  ...commonSourceFields,
  type: z.literal("command"),
  command: z.array(z.string()).min(1),
});

const aggregator = z.strictObject({
  source: z.string(),
  type: z.enum(["percentile", "stats", "sma", "ewma"]),
  percentiles: z.array(z.number().min(0).max(100)).optional(),
  window: zDuration({ min: 1000 }),
});

/** The whole document. */
export const testSchema = z.strictObject({
  config_version: z.number().int().optional(),
  custom_metrics: z.strictObject({
    plugin_directories: z.array(z.string()).default([]),
    aggregation_window: zDuration().optional(),
    sources: z.array(z.discriminatedUnion("type", [database, http, command])).default([]),
    aggregators: z.array(aggregator).default([]),
  }),
});

/** The validated document. */
export type TestConfig = z.infer<typeof testSchema>;
