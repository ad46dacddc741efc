/**
 * Aggregation: windows (tumbling and sliding panes), percentile sketches,
 * statistics, moving averages and derived metrics. Pure state: the agent
 * feeds samples and reads at times it chooses; see README.md.
 * @module
 */
export { type AggregatorConfig, aggregatorSchema } from "./schema.ts";
export {
  checkAggregators,
  globToRegExp,
  type ResolvedRule,
  resolveRules,
  type RuleDefaults,
  type RuleIssue,
  type SourceFacts,
} from "./rules.ts";
export {
  type AggregateError,
  AggregationEngine,
  type DropReason,
  type ReadOptions,
  type ReadResult,
  type RuleStats,
} from "./engine.ts";
export {
  evaluate,
  ExpressionEvalError,
  ExpressionSyntaxError,
  parseExpression,
  references,
} from "./expression.ts";
