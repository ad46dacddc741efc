/**
 * The built-in `database` source: SQL queries on schedules against
 * PostgreSQL, MySQL/MariaDB, SQLite and SQL Server, through one pool per
 * source, with bound parameters and rows mapped to metrics.
 * @module
 */
export {
  type DatabaseFields,
  databaseFields,
  databaseKind,
  type QueryConfig,
} from "./database_kind.ts";
export type { DatabaseKind, DbConnection, Driver, QueryResult } from "./driver.ts";
export { type PoolStats } from "./pool.ts";
