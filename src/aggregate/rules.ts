/**
 * From validated rule tables to resolved rules (every default filled in,
 * durations in ms), and the checks that need the default window, the
 * sources or the other rules. Pure: the agent calls both.
 * @module
 */
import { formatDuration } from "../core/mod.ts";
import { type Expr, ExpressionSyntaxError, parseExpression, references } from "./expression.ts";
import type { Stat } from "./moments.ts";
import type { AggregatorConfig } from "./schema.ts";
import type { SketchSpec } from "./sketch.ts";

/** Fields every resolved rule has. */
interface RuleBase {
  /** The `rule` label of self-metrics: `name`, else `<source>:<type>` (`#n` added when repeated). */
  id: string;
  source?: string;
  /** Output name prefix instead of the input metric name. */
  name?: string;
  /** Milliseconds. */
  window: number;
  /** Pane width in ms: `window / panes`. */
  paneWidth: number;
  /** 1: tumbling; more: a sliding window over that many panes. */
  panes: number;
  groupBy?: string[];
  dropAttributes: string[];
  maxSeries: number;
  /** Milliseconds without samples after which a series is dropped. */
  idleTtl: number;
}

/** A rule with every default filled in. */
export type ResolvedRule =
  | RuleBase & { type: "percentile"; percentiles: number[]; sketch: SketchSpec }
  | RuleBase & { type: "stats"; stats: Stat[] }
  | RuleBase & { type: "sma" }
  | RuleBase & { type: "ewma"; alpha?: number; halfLife?: number }
  | RuleBase & {
    type: "derived";
    name: string;
    expression: string;
    expr: Expr;
    inputs: string[];
    joinOn?: string[];
  };

/** Defaults of resolution. */
export interface RuleDefaults {
  /** `custom_metrics.aggregation_window`, ms. */
  window: number;
}

/** Series per rule unless `max_series` says otherwise. */
export const DEFAULT_MAX_SERIES = 10_000;
/** Values an exact percentile keeps per series and window unless `max_samples` says otherwise. */
export const DEFAULT_EXACT_MAX_SAMPLES = 10_000;
/** Panes of an `sma` rule given neither `slide` nor `panes` (when they divide the window). */
export const DEFAULT_SMA_PANES = 10;

function paneCount(a: AggregatorConfig, window: number): number {
  if (a.panes !== undefined) return a.panes;
  if (a.slide !== undefined) return Math.max(1, Math.round(window / a.slide));
  if (a.type === "sma" && window % DEFAULT_SMA_PANES === 0) return DEFAULT_SMA_PANES;
  return 1;
}

/**
 * Resolves the enabled rules. Assumes {@linkcode checkAggregators} found no
 * errors; a derived rule whose expression does not parse is left out.
 *
 * @example Resolving the DESIGN.md example
 * ```ts
 * const [r] = resolveRules([aggregatorSchema.parse({ source: "api_health.response_time", type: "percentile", window: "5m" })], { window: 300_000 });
 * r.window; // 300000
 * ```
 */
export function resolveRules(
  tables: readonly AggregatorConfig[],
  defaults: RuleDefaults,
): ResolvedRule[] {
  const out: ResolvedRule[] = [];
  const ids = new Map<string, number>();
  for (const a of tables) {
    if (!a.enabled) continue;
    const window = a.window ?? defaults.window;
    const panes = paneCount(a, window);
    let id = a.type === "derived" ? a.name : a.name ?? `${a.source}:${a.type}`;
    const seen = ids.get(id) ?? 0;
    ids.set(id, seen + 1);
    if (seen > 0) id = `${id}#${seen + 1}`;
    const base: RuleBase = {
      id,
      ...(a.source !== undefined ? { source: a.source } : {}),
      ...(a.name !== undefined ? { name: a.name } : {}),
      window,
      paneWidth: Math.floor(window / panes),
      panes,
      ...(a.group_by ? { groupBy: [...a.group_by] } : {}),
      dropAttributes: a.drop_attributes ?? [],
      maxSeries: a.max_series ?? DEFAULT_MAX_SERIES,
      idleTtl: a.idle_ttl ?? 2 * window,
    };
    switch (a.type) {
      case "percentile":
        out.push({
          ...base,
          type: "percentile",
          percentiles: [...new Set(a.percentiles)].sort((x, y) => x - y),
          sketch: a.algorithm === "ddsketch"
            ? { algorithm: "ddsketch", relativeAccuracy: a.relative_accuracy ?? 0.01 }
            : a.algorithm === "tdigest"
            ? { algorithm: "tdigest", compression: a.compression ?? 100 }
            : { algorithm: "exact", maxSamples: a.max_samples ?? DEFAULT_EXACT_MAX_SAMPLES },
        });
        break;
      case "stats":
        out.push({ ...base, type: "stats", stats: [...new Set(a.stats)] });
        break;
      case "sma":
        out.push({ ...base, type: "sma" });
        break;
      case "ewma":
        out.push({
          ...base,
          type: "ewma",
          ...(a.alpha !== undefined
            ? { alpha: a.alpha }
            : { halfLife: a.half_life ?? Math.max(1, Math.floor(window / 2)) }),
        });
        break;
      case "derived": {
        let expr: Expr;
        try {
          expr = parseExpression(a.expression);
        } catch {
          continue;
        }
        out.push({
          ...base,
          type: "derived",
          name: a.name,
          expression: a.expression,
          expr,
          inputs: references(expr),
          ...(a.join_on ? { joinOn: [...a.join_on] } : {}),
        });
      }
    }
  }
  return out;
}

/** A problem found by {@linkcode checkAggregators}, located relative to the document. */
export interface RuleIssue {
  path: (string | number)[];
  message: string;
  severity?: "error" | "warning";
}

/** What the checks need to know of a source. */
export interface SourceFacts {
  name: string;
  /** Resolved interval, ms. */
  interval: number;
  /**
   * Every metric the source can emit, relative to its name, when its config
   * tells: exact names (compared without case: database columns keep the
   * case the database returns), and prefixes a name may continue.
   */
  metrics?: { names: string[]; prefixes: string[] };
}

/** Whether a source can emit `metric` (a full name); true when that is not knowable. */
function mayEmit(source: SourceFacts, metric: string): boolean {
  if (!source.metrics || !metric.startsWith(`${source.name}.`)) return true;
  const rel = metric.slice(source.name.length + 1).toLowerCase();
  return source.metrics.names.some((n) => n.toLowerCase() === rel) ||
    source.metrics.prefixes.some((p) => rel.startsWith(p.toLowerCase()));
}

/** `*` matches any run of characters (dots included), `?` one character. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** Sources whose metrics an input name or glob can match. */
function sourcesOf(input: string, sources: readonly SourceFacts[]): SourceFacts[] {
  const re = globToRegExp(input);
  return sources.filter((s) => re.test(`${s.name}.x`) || input.startsWith(`${s.name}.`));
}

/** Output names a non-derived rule can produce for a literal input (for derived references). */
function outputsOf(a: AggregatorConfig): string[] {
  if (a.type === "derived") return [a.name];
  const prefix = a.name ?? a.source;
  switch (a.type) {
    case "percentile":
      return a.percentiles.map((p) => `${prefix}.${percentileStat(p)}`);
    case "stats":
      return a.stats.map((s) => `${prefix}.${s}`);
    default:
      return [`${prefix}.${a.type}`];
  }
}

/** `50` → `p50`, `99.9` → `p99.9`. */
export function percentileStat(p: number): string {
  return `p${String(p)}`;
}

/**
 * Checks that span fields, rules or sources: windows against `slide`,
 * `panes` and the inputs' intervals, expressions (with their column),
 * algorithm-specific settings, inputs that match nothing (warnings).
 *
 * @example Checking a rule whose window is shorter than its source's interval
 * ```ts
 * checkAggregators([rule], { window: 300_000, sources: [{ name: "api_health", interval: 60_000 }] });
 * // [{ path: ["custom_metrics", "aggregators", 0, "window"], message: "window 30s is shorter than ..." }]
 * ```
 */
export function checkAggregators(
  tables: readonly AggregatorConfig[],
  ctx: { window: number; sources: readonly SourceFacts[] },
): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const outputs = new Set(tables.flatMap(outputsOf));
  tables.forEach((a, i) => {
    const at = (...key: (string | number)[]) => ["custom_metrics", "aggregators", i, ...key];
    const err = (key: string | undefined, message: string) =>
      issues.push({ path: key ? at(key) : at(), message });
    const window = a.window ?? ctx.window;
    const windowKey = a.window !== undefined ? "window" : undefined;
    const w = formatDuration(window);
    if (a.slide !== undefined && a.panes !== undefined) {
      err("panes", "set either slide or panes, not both");
    } else if (a.slide !== undefined) {
      if (a.slide > window) {
        err("slide", `slide ${formatDuration(a.slide)} is longer than the window ${w}`);
      } else if (window % a.slide !== 0) {
        err("slide", `slide ${formatDuration(a.slide)} does not divide the window ${w}`);
      }
    } else if (a.panes !== undefined && window % a.panes !== 0) {
      err("panes", `${a.panes} panes do not divide the window ${w} into whole milliseconds`);
    }
    if (a.group_by && a.drop_attributes) {
      err("drop_attributes", "set either group_by or drop_attributes, not both");
    }
    if (a.type === "percentile") {
      if (a.relative_accuracy !== undefined && a.algorithm !== "ddsketch") {
        err("relative_accuracy", `relative_accuracy applies to algorithm "ddsketch" only`);
      }
      if (a.compression !== undefined && a.algorithm !== "tdigest") {
        err("compression", `compression applies to algorithm "tdigest" only`);
      }
      if (a.max_samples !== undefined && a.algorithm !== "exact") {
        err("max_samples", `max_samples applies to algorithm "exact" only`);
      }
    }
    if (a.type === "ewma" && a.alpha !== undefined && a.half_life !== undefined) {
      err("half_life", "set either alpha or half_life, not both");
    }
    if (a.type === "derived") {
      if (a.source !== undefined) {
        err("source", "a derived rule reads the metrics named in its expression; remove source");
      }
      let refs: string[] = [];
      try {
        refs = references(parseExpression(a.expression));
      } catch (e) {
        if (!(e instanceof ExpressionSyntaxError)) throw e;
        const text = a.expression.length > 80 ? `${a.expression.slice(0, 80)}...` : a.expression;
        err("expression", `cannot parse ${JSON.stringify(text)}: ${e.message}`);
      }
      for (const r of refs) {
        if (outputs.has(r)) continue;
        const from = sourcesOf(r, ctx.sources);
        if (from.length > 0 && !from.some((s) => mayEmit(s, r))) {
          const s = from[0];
          const list = [...s.metrics!.names, ...s.metrics!.prefixes.map((p) => `${p}*`)]
            .map((n) => `${s.name}.${n}`);
          const shown = list.length > 8 ? [...list.slice(0, 8), "..."] : list;
          issues.push({
            path: at("expression"),
            severity: "warning",
            message: `${JSON.stringify(r)}: source ${
              JSON.stringify(s.name)
            } never emits it (it emits ${shown.join(", ")}): the rule will report it missing`,
          });
          continue;
        }
        if (from.length > 0) continue;
        issues.push({
          path: at("expression"),
          severity: "warning",
          message: `${
            JSON.stringify(r)
          } is neither a configured source's metric nor an aggregate (fine if a plugin emits it)`,
        });
      }
      return;
    }
    const matched = sourcesOf(a.source, ctx.sources);
    if (matched.length === 0) {
      issues.push({
        path: at("source"),
        severity: "warning",
        message: `${
          JSON.stringify(a.source)
        } matches no configured source (fine if a plugin emits it)`,
      });
    }
    for (const s of matched) {
      if (window < s.interval) {
        err(
          windowKey,
          `window ${w} is shorter than the interval ${formatDuration(s.interval)} of source ${
            JSON.stringify(s.name)
          }: most windows would hold no sample`,
        );
        break;
      }
    }
  });
  return issues;
}
