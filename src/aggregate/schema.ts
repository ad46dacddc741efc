/**
 * The schema of `[[custom_metrics.aggregators]]` rules. Checks that need
 * more than one rule, the sources or the default window live in
 * `rules.ts` (`checkAggregators`).
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

const zAttributeList = z.array(z.string().min(1)).optional();

const common = {
  source: zInput,
  /** Output name prefix instead of the input metric's name (derived: the metric's name). */
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.\-/]*$/, {
    message: 'expected a metric name, e.g. "api.error_rate"',
  }).optional(),
  window: zDuration({ min: 1000 }).optional(),
  /** Sliding windows: the step between windows; must divide `window`. */
  slide: zDuration({ min: 100 }).optional(),
  /** Sliding windows: the number of panes (`window / slide`). */
  panes: z.number().int().min(1).max(1000).optional(),
  group_by: zAttributeList,
  drop_attributes: zAttributeList,
  max_series: z.number().int().positive().max(1_000_000).optional(),
  /** A series without samples for this long is dropped. @default {2 × window} */
  idle_ttl: zDuration({ min: 1000 }).optional(),
  enabled: z.boolean().default(true),
};

/** One `[[custom_metrics.aggregators]]` rule. */
export const aggregatorSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("percentile"),
    ...common,
    percentiles: z.array(zPercentile).min(1).default([50, 95, 99]),
    algorithm: z.enum(["ddsketch", "tdigest", "exact"]).default("ddsketch"),
    /** DDSketch only. @default {0.01} */
    relative_accuracy: z.number().gt(0).lt(1).optional(),
    /** t-digest only. @default {100} */
    compression: z.number().min(10).max(10_000).optional(),
    /** exact only: values kept per pane and per merged window of a series; more are dropped and counted. @default {10000} */
    max_samples: z.number().int().positive().max(1_000_000).optional(),
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
    half_life: zDuration({ min: 1 }).optional(),
  }),
  z.strictObject({
    type: z.literal("derived"),
    ...common,
    source: zInput.optional(),
    name: common.name.unwrap(),
    expression: z.string().min(1),
    /** Attributes that pair series of different inputs. @default {all but `window`} */
    join_on: zAttributeList,
  }),
]);

/** A validated aggregator rule. */
export type AggregatorConfig = z.output<typeof aggregatorSchema>;
