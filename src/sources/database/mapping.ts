/**
 * Maps the rows of one query to samples: a single value (first column of
 * the first row), or one sample per row and value column with label columns
 * as attributes, an optional column naming the metric, and static attributes.
 * @module
 */
import {
  type Attributes,
  isValidMetricName,
  type MetricType,
  type SampleInput,
} from "../../core/mod.ts";
import type { QueryResult } from "./driver.ts";
import { toNumber } from "./to_number.ts";

/** What to do with a NULL, text or NaN in a value column. */
export type OnNull = "skip" | "zero" | "error";

/** The mapping part of a query's config. */
export interface MappingRules {
  name: string;
  otel_type?: MetricType;
  unit?: string;
  description?: string;
  label_columns: string[];
  value_columns: string[];
  metric_column?: string;
  static_attributes: Attributes;
  on_null: OnNull;
  /** Series per query at most. */
  max_series: number;
}

/** What one query's rows became. */
export interface Mapped {
  samples: SampleInput[];
  /** Problems, each naming the column (the caller adds the source and query). */
  problems: string[];
  /** Columns whose values lost precision converting to a double (usually none: shared empty set). */
  lossy: ReadonlySet<string>;
  /** Values skipped per `on_null = "skip"`. */
  skipped: number;
  /** Series dropped by `max_series`. */
  dropped: number;
}

/**
 * Maps a result to samples. Column names match case-insensitively, since
 * databases fold unquoted names differently.
 *
 * @example A single value
 * ```ts
 * mapRows(rules, { columns: ["count"], rows: [[42n]] }).samples;
 * // [{ name: "active_users", value: 42 }]
 * ```
 */
export function mapRows(rules: MappingRules, result: QueryResult): Mapped {
  const out: Mapped = { samples: [], problems: [], lossy: NO_COLUMNS, skipped: 0, dropped: 0 };
  if (
    rules.label_columns.length === 0 && rules.value_columns.length === 0 &&
    rules.metric_column === undefined && result.columns.length > 0
  ) {
    // The common case, a single value: no lookups, no series bookkeeping.
    const row = result.rows[0];
    apply(
      rules,
      out,
      row ? row[0] : undefined,
      result.columns[0],
      rules.name,
      rules.static_attributes,
    );
    return out;
  }
  const index = new Map<string, number>();
  result.columns.forEach((c, i) => {
    if (!index.has(c.toLowerCase())) index.set(c.toLowerCase(), i);
  });
  const col = (name: string): number | undefined => index.get(name.toLowerCase());
  const missing = [
    ...rules.label_columns,
    ...rules.value_columns,
    ...(rules.metric_column ? [rules.metric_column] : []),
  ].filter((c) => col(c) === undefined);
  if (missing.length > 0) {
    out.problems.push(
      `column${missing.length > 1 ? "s" : ""} ${missing.map((c) => JSON.stringify(c)).join(", ")} ${
        missing.length > 1 ? "are" : "is"
      } not in the result (columns: ${result.columns.map((c) => JSON.stringify(c)).join(", ")})`,
    );
    return out;
  }
  if (result.columns.length === 0) {
    out.problems.push("the query returned no columns");
    return out;
  }
  const taken = new Set(
    [...rules.label_columns, ...(rules.metric_column ? [rules.metric_column] : [])].map((c) =>
      col(c)!
    ),
  );
  // Without value_columns the value is the first column that is not a label or the metric name.
  const implicit = rules.value_columns.length === 0;
  const valueCols = implicit
    ? [result.columns.findIndex((_c, i) => !taken.has(i))].filter((i) => i >= 0)
    : rules.value_columns.map((c) => col(c)!);
  if (valueCols.length === 0) {
    out.problems.push("no column is left for the value: every column is a label");
    return out;
  }
  const grouped = rules.label_columns.length > 0 || rules.metric_column !== undefined ||
    !implicit;
  const rows = grouped ? result.rows : result.rows.slice(0, 1);
  if (!grouped && rows.length === 0) {
    apply(rules, out, undefined, result.columns[valueCols[0]], rules.name, rules.static_attributes);
    return out;
  }
  const seen = new Set<string>();
  for (const row of rows) {
    const attributes: Attributes = { ...rules.static_attributes };
    for (const l of rules.label_columns) attributes[l] = labelText(row[col(l)!]);
    let base = rules.name;
    if (rules.metric_column) {
      const dyn = labelText(row[col(rules.metric_column)!]);
      const name = `${rules.name}.${dyn}`;
      if (!isValidMetricName(name)) {
        out.problems.push(
          `column ${JSON.stringify(rules.metric_column)}: ${
            JSON.stringify(dyn.slice(0, 60))
          } does not make a valid metric name`,
        );
        continue;
      }
      base = name;
    }
    for (const vi of valueCols) {
      const column = result.columns[vi];
      const name = implicit ? base : `${base}.${column}`;
      const key = JSON.stringify([name, Object.entries(attributes).sort()]);
      if (seen.has(key)) {
        out.problems.push(
          `column ${JSON.stringify(column)}: two rows give the same series ${
            JSON.stringify(name)
          } ${JSON.stringify(attributes)}; add a label column`,
        );
        continue;
      }
      if (seen.size >= rules.max_series) {
        out.dropped++;
        continue;
      }
      seen.add(key);
      apply(rules, out, row[vi], column, name, attributes);
    }
  }
  if (out.dropped > 0) {
    out.problems.push(
      `the result has more than max_series = ${rules.max_series} series; ${out.dropped} dropped`,
    );
  }
  return out;
}

const NO_COLUMNS: ReadonlySet<string> = new Set();

function apply(
  rules: MappingRules,
  out: Mapped,
  raw: unknown,
  column: string,
  name: string,
  attributes: Attributes,
): void {
  const c = toNumber(raw);
  let value: number;
  if (c.kind === "number") {
    value = c.value;
    if (c.lossy) out.lossy = new Set(out.lossy).add(column);
  } else {
    const what = c.kind === "null" ? (raw === undefined ? "no row" : "NULL") : c.what;
    if (rules.on_null === "skip") {
      out.skipped++;
      return;
    }
    if (rules.on_null === "error") {
      out.problems.push(`column ${JSON.stringify(column)}: expected a number, found ${what}`);
      return;
    }
    value = 0;
  }
  // Plain assignments, not spreads: this runs for every value of every query.
  const sample: SampleInput = { name, value };
  if (rules.otel_type) sample.type = rules.otel_type;
  if (rules.unit) sample.unit = rules.unit;
  if (rules.description) sample.description = rules.description;
  for (const _ in attributes) {
    sample.attributes = attributes;
    break;
  }
  out.samples.push(sample);
}

/** An attribute value from any column value. */
function labelText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
  return String(v);
}
