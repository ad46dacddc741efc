/**
 * The schema of `[[custom_metrics.aggregators]]` rules. The engine that
 * evaluates them is not part of this release yet; the schema already
 * validates rules so that configs written today stay valid.
 * @module
 */
import { z } from "zod";
import { zDuration } from "../config/mod.ts";

const zInput = z.string().regex(/^[A-Za-z*?][A-Za-z0-9_.\-/*?]*$/, {
  message:
    'expected a metric name or glob, e.g. "api_health.response_time" or "database_metrics.*"',
});

const zPercentile = z.number().gt(0, { message: "expected a percentile above 0" }).lt(100, {
  message: "expected a percentile below 100",
});

const common = {
  source: zInput,
  name: z.string().optional(),
  window: zDuration({ min: 1000 }).optional(),
  slide: zDuration({ min: 1000 }).optional(),
  group_by: z.array(z.string()).optional(),
  drop_attributes: z.array(z.string()).optional(),
  max_series: z.number().int().positive().optional(),
  enabled: z.boolean().default(true),
};

/** One `[[custom_metrics.aggregators]]` rule. */
export const aggregatorSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("percentile"),
    ...common,
    percentiles: z.array(zPercentile).min(1).default([50, 95, 99]),
    algorithm: z.enum(["ddsketch", "tdigest", "exact"]).default("ddsketch"),
    relative_accuracy: z.number().gt(0).lt(1).optional(),
  }),
  z.strictObject({
    type: z.literal("stats"),
    ...common,
    stats: z.array(z.enum(["min", "max", "sum", "count", "avg", "stddev", "rate", "delta"])).min(1),
  }),
  z.strictObject({ type: z.literal("sma"), ...common }),
  z.strictObject({
    type: z.literal("ewma"),
    ...common,
    alpha: z.number().gt(0).lte(1).optional(),
    half_life: zDuration().optional(),
  }),
  z.strictObject({
    type: z.literal("derived"),
    ...common,
    source: zInput.optional(),
    name: z.string(),
    expression: z.string().min(1),
  }),
]);

/** A validated aggregator rule. */
export type AggregatorConfig = z.output<typeof aggregatorSchema>;
