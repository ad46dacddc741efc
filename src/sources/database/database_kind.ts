/**
 * The `database` source kind: its config schema, cross-field checks,
 * secrets and factory. The collection lives in `database_source.ts`.
 * @module
 */
import { z } from "zod";
import { isValidMetricName, type SourceKind } from "../../core/mod.ts";
import { zAttributes, zDuration, zMetricType } from "../../config/mod.ts";
import { kindOf } from "./connection_string.ts";
import { DatabaseSource } from "./database_source.ts";
import { translatePlaceholders, writeRefusal } from "./sql_text.ts";

const zParam = z.union([z.string(), z.number(), z.boolean()]);
const zColumn = z.string().min(1, { message: "expected a column name" });
const zOnNull = z.enum(["skip", "zero", "error"]);

const querySchema = z.strictObject({
  name: z.string().refine(isValidMetricName, {
    message: "expected a metric name: a letter, then letters, digits, '_', '.', '-' or '/'",
  }),
  sql: z.string().min(1),
  /** Bound by the driver: numbers, strings, booleans, time tokens ("now", "15m_ago"). */
  params: z.array(zParam).default([]),
  otel_type: zMetricType.optional(),
  /** Runs the query less often than the source; a multiple of its interval makes sense. */
  interval: zDuration({ min: 1 }).optional(),
  /** @default the source's timeout */
  timeout: zDuration({ min: 1 }).optional(),
  description: z.string().optional(),
  unit: z.string().optional(),
  label_columns: z.array(zColumn).default([]),
  value_columns: z.array(zColumn).default([]),
  metric_column: zColumn.optional(),
  static_attributes: zAttributes.default({}),
  /** @default the source's on_null */
  on_null: zOnNull.optional(),
  /** @default the source's max_series */
  max_series: z.number().int().min(1).optional(),
  /** @default the source's max_rows */
  max_rows: z.number().int().min(1).optional(),
});

/** Pool limits. */
const poolSchema = z.strictObject({
  /** @default {2} */
  size: z.number().int().min(1).max(100).default(2),
  /** @default {"5m"} */
  idle_timeout: zDuration({ min: 1 }).default(300_000),
  /** @default {"30m"} */
  max_lifetime: zDuration({ min: 1 }).default(1_800_000),
  /** @default {"5s"} */
  acquire_timeout: zDuration({ min: 1 }).default(5_000),
});

/** The `database` kind's own fields (merged with the common source fields by the agent). */
export const databaseFields = {
  connection_string: z.string().refine((s) => kindOf(s) !== undefined, {
    message:
      "expected a postgresql://, mysql://, mariadb://, sqlite:, sqlserver:// or Server=... connection string",
  }),
  queries: z.array(querySchema).min(1),
  pool: poolSchema.default(poolSchema.parse({})),
  /** Queries of the source running at once. @default {2} */
  max_concurrency: z.number().int().min(1).max(100).default(2),
  /** Sessions read-only (SQLite files opened read-only). @default {true} */
  read_only: z.boolean().default(true),
  /** @default {"skip"} */
  on_null: zOnNull.default("skip"),
  /** Series one query may produce at most. @default {1000} */
  max_series: z.number().int().min(1).default(1000),
  /** Rows one query may return at most; the driver stops fetching past it. @default {10000} */
  max_rows: z.number().int().min(1).default(10_000),
};

/** The validated `database` fields. */
export type DatabaseFields = z.output<z.ZodObject<typeof databaseFields>>;
/** One validated query. */
export type QueryConfig = z.output<typeof querySchema>;

/**
 * The `database` kind: runs SQL queries on a pooled connection and maps
 * rows to metrics.
 *
 * @example In a config
 * ```toml
 * [[custom_metrics.sources]]
 * name = "database_metrics"
 * type = "database"
 * connection_string = "postgresql://metrics@localhost/app"
 * queries = [{name = "active_users", sql = "SELECT count(*) FROM users"}]
 * ```
 */
export const databaseKind: SourceKind<DatabaseFields> = {
  type: "database",
  description:
    "Runs SQL queries (PostgreSQL, MySQL/MariaDB, SQLite, SQL Server) and maps rows to metrics",
  fields: databaseFields,
  check(config) {
    const problems: { path: (string | number)[]; message: string }[] = [];
    const kind = kindOf(config.connection_string);
    const seen = new Set<string>();
    config.queries.forEach((q, i) => {
      if (seen.has(q.name)) {
        problems.push({
          path: ["queries", i, "name"],
          message: `duplicate query name ${JSON.stringify(q.name)}`,
        });
      }
      seen.add(q.name);
      if (!kind) return;
      const refused = writeRefusal(q.sql, kind);
      if (refused) problems.push({ path: ["queries", i, "sql"], message: `refused: ${refused}` });
      try {
        translatePlaceholders(q.sql, kind, q.params.length);
      } catch (err) {
        problems.push({ path: ["queries", i, "params"], message: (err as Error).message });
      }
      const labels = new Set(q.label_columns.map((c) => c.toLowerCase()));
      for (const [j, c] of q.value_columns.entries()) {
        if (labels.has(c.toLowerCase())) {
          problems.push({
            path: ["queries", i, "value_columns", j],
            message: `${JSON.stringify(c)} is also a label column`,
          });
        }
      }
      if (q.interval !== undefined && q.interval < config.interval) {
        problems.push({
          path: ["queries", i, "interval"],
          message: `a query cannot run more often than its source (interval ${
            config.interval / 1000
          }s)`,
        });
      }
    });
    return problems;
  },
  secrets: (config) => [config.connection_string],
  create(config, deps) {
    return new DatabaseSource(config, deps);
  },
};
