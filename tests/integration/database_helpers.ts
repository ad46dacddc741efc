/**
 * Shared set-up of the database integration tests: the service URLs, a skip
 * (or, under CI=true, a failure) when a service cannot be reached, and
 * throw-away PostgreSQL schemas and MariaDB databases.
 * @module
 */
import postgres from "postgres";
import mysql from "mysql2/promise";
import { Agent, buildDocumentSchema } from "../../src/agent/mod.ts";
import { createLogger, Redactor, type SourceKind, systemClock } from "../../src/core/mod.ts";
import { builtinSourceKinds } from "../../src/sources/mod.ts";
import { platform } from "../../src/runtime/mod.ts";
import { type CliIO, main } from "../../src/cli/mod.ts";

export const PG_URL = Deno.env.get("SEXTANT_TEST_PG_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";
export const MYSQL_URL = Deno.env.get("SEXTANT_TEST_MYSQL_URL") ??
  "mysql://root@127.0.0.1:3306/test";

/** A run-unique suffix for schema, database and user names. */
export const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** Whether a service answers on TCP; under CI=true an unreachable one fails the test run. */
export async function reachable(url: string, what: string): Promise<boolean> {
  const u = new URL(url);
  try {
    const c = await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
    c.close();
    return true;
  } catch (err) {
    const reason = `${what} at ${u.host} cannot be reached (${(err as Error).message})`;
    if (Deno.env.get("CI") === "true") throw new Error(`${reason}; it is required under CI=true`);
    console.warn(`skipping ${what} tests: ${reason}`);
    return false;
  }
}

/** `url` with its user and password replaced. */
export function withCredentials(
  url: string,
  user: string,
  password: string,
  path?: string,
): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  if (path !== undefined) u.pathname = path;
  return u.href;
}

/** A PostgreSQL schema of its own with `users` and `transactions`, dropped afterwards. */
export async function withPgSchema(
  fn: (schema: string, sql: postgres.Sql) => Promise<void>,
): Promise<void> {
  const schema = `sx_db_${RUN}_${Math.floor(Math.random() * 1e6)}`;
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.users (id serial PRIMARY KEY, name text, last_login timestamptz);
      CREATE TABLE ${schema}.transactions (id serial PRIMARY KEY, amount numeric(20, 2), region text, created_at timestamptz);
      INSERT INTO ${schema}.users (name, last_login) VALUES
        ('a', now() - interval '5 minutes'), ('b', now() - interval '30 minutes'),
        ('c', now() - interval '59 minutes'), ('d', now() - interval '2 hours'), ('e', NULL);
      INSERT INTO ${schema}.transactions (amount, region, created_at) VALUES
        (10.50, 'eu', now() - interval '1 minute'), (20.25, 'eu', now() - interval '20 minutes'),
        (5.00, 'us', now() - interval '40 minutes'), (99.99, 'us', now() - interval '3 hours');
    `);
    await fn(schema, sql);
  } finally {
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await sql.end();
  }
}

/** A MariaDB database and a user with a password of their own, dropped afterwards. */
export async function withMysqlDb(
  fn: (db: { name: string; user: string; password: string; url: string }) => Promise<void>,
): Promise<void> {
  const name = `sx_db_${RUN}_${Math.floor(Math.random() * 1e6)}`;
  const user = name.slice(0, 32);
  const password = `My-Secret-${RUN}-Pw`;
  const admin = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true });
  try {
    await admin.query(`
      CREATE DATABASE ${name};
      CREATE USER '${user}'@'%' IDENTIFIED BY '${password}';
      CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}';
      GRANT ALL ON ${name}.* TO '${user}'@'%';
      GRANT ALL ON ${name}.* TO '${user}'@'localhost';
      CREATE TABLE ${name}.orders (id INT AUTO_INCREMENT PRIMARY KEY, region VARCHAR(8), total DECIMAL(20, 2), big BIGINT, created_at DATETIME);
      INSERT INTO ${name}.orders (region, total, big, created_at) VALUES
        ('eu', 10.50, 9007199254740993, UTC_TIMESTAMP() - INTERVAL 1 MINUTE),
        ('eu', 20.25, 1, UTC_TIMESTAMP() - INTERVAL 20 MINUTE),
        ('us', 5.00, NULL, UTC_TIMESTAMP() - INTERVAL 3 HOUR);
    `);
    await fn({ name, user, password, url: withCredentials(MYSQL_URL, user, password, `/${name}`) });
  } finally {
    await admin.query(
      `DROP DATABASE IF EXISTS ${name}; DROP USER IF EXISTS '${user}'@'%'; DROP USER IF EXISTS '${user}'@'localhost';`,
    ).catch(() => {});
    await admin.end();
  }
}

/** An in-process agent on the built-in kinds, logging into `lines`. */
export function startAgent(custom: Record<string, unknown>, lines: string[]): Agent {
  const redactor = new Redactor();
  const kinds = builtinSourceKinds as readonly SourceKind[];
  const config = buildDocumentSchema(kinds).parse({
    custom_metrics: {
      agent: { jitter: 0 },
      admin: { enabled: false },
      exporters: [{ type: "prometheus", listen: "127.0.0.1:0" }],
      ...custom,
    },
  });
  return new Agent({
    config,
    kinds,
    platform,
    logger: createLogger({ level: "debug", format: "json", write: (l) => lines.push(l), redactor }),
    clock: systemClock,
    redactor,
  });
}

/** Runs the CLI in-process (no subprocess start-up cost) with debug logs; `stop` ends `run`. */
export async function cli(
  argv: string[],
  opts: { stop?: AbortSignal; onStderr?: (line: string) => void } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    platform: {
      ...platform,
      env: (n: string) => (n === "SEXTANT_LOG_LEVEL" ? "debug" : platform.env(n)),
    } as typeof platform,
    clock: systemClock,
    stdout: (l) => out.push(l),
    stderr: (l) => {
      err.push(l);
      opts.onStderr?.(l);
    },
    stop: opts.stop,
  };
  const code = await main(argv, io);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}
