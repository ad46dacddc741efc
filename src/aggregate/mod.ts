/**
 * Aggregation: windows, sketches, moving averages and derived metrics.
 * This release ships the rule schema; evaluation arrives with the engine.
 * @module
 */
export { type AggregatorConfig, aggregatorSchema } from "./schema.ts";
