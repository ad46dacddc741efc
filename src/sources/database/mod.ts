/**
 * The `database` source kind: SQL queries on schedules. This release
 * validates its configuration; the drivers (PostgreSQL, MySQL/MariaDB,
 * SQLite, SQL Server) arrive with the database source work.
 * @module
 */
import { z } from "zod";
import { ConnectError, type SourceKind } from "../../core/mod.ts";
import { zDuration, zMetricType } from "../../config/mod.ts";

const zParam = z.union([z.string(), z.number(), z.boolean()]);

const querySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.\-]*$/, { message: "expected a metric name" }),
  sql: z.string().min(1),
  params: z.array(zParam).default([]),
  otel_type: zMetricType.optional(),
  interval: zDuration({ min: 10 }).optional(),
  timeout: zDuration({ min: 1 }).optional(),
  description: z.string().optional(),
  unit: z.string().optional(),
});

const SCHEMES = /^(postgres(ql)?|mysql|mariadb|sqlite|sqlserver|mssql):/i;

/** Database source fields. */
export const databaseFields = {
  connection_string: z.string().refine((s) => SCHEMES.test(s) || /^\s*server\s*=/i.test(s), {
    message:
      "expected a postgresql://, mysql://, mariadb://, sqlite:, sqlserver:// or Server=... connection string",
  }),
  queries: z.array(querySchema).min(1),
};

type DatabaseConfig = z.output<z.ZodObject<typeof databaseFields>>;

/** The `database` kind. */
export const databaseKind: SourceKind<DatabaseConfig> = {
  type: "database",
  description:
    "runs SQL queries and maps rows to metrics (drivers not yet available in this build)",
  fields: databaseFields,
  check(config) {
    const seen = new Set<string>();
    const problems: { path: (string | number)[]; message: string }[] = [];
    config.queries.forEach((q, i) => {
      if (seen.has(q.name)) {
        problems.push({
          path: ["queries", i, "name"],
          message: `duplicate query name ${JSON.stringify(q.name)}`,
        });
      }
      seen.add(q.name);
    });
    return problems;
  },
  secrets: (config) => [config.connection_string],
  create(config) {
    const endpoint = config.connection_string.split(":")[0];
    return {
      name: config.name,
      type: "database",
      start: () =>
        Promise.reject(
          new ConnectError(
            endpoint,
            "database sources are not available in this build yet (drivers arrive with the database source release)",
          ),
        ),
      collect: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
  },
};
