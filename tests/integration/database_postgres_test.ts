/**
 * The database source against the real PostgreSQL: the DESIGN.md example
 * through `sextant once`, `/status` through `sextant run`, read-only
 * sessions, timeouts, numbers, and a password that never shows.
 */
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  waitFor,
} from "../assert.ts";
import { CollectError, TimeoutError } from "../../src/core/mod.ts";
import { databaseKind } from "../../src/sources/database/mod.ts";
import { loadDriver } from "../../src/sources/database/driver.ts";
import { parseTarget } from "../../src/sources/database/connection_string.ts";
import { configFor, RecordingAccumulator, testDeps } from "../support/source_harness.ts";
import { ROOT } from "../runtime/helpers.ts";
import { cli, PG_URL, reachable, RUN, withCredentials, withPgSchema } from "./database_helpers.ts";

const PG = await reachable(PG_URL, "PostgreSQL");
const PASSWORD = `Pg-Secret-${RUN}-Zq`;
const pgUrl = (schema: string) => {
  const u = new URL(withCredentials(PG_URL, new URL(PG_URL).username || "postgres", PASSWORD));
  u.searchParams.set("search_path", schema);
  return u.href;
};

const DESIGN_EXAMPLE = await Deno.readTextFile(`${ROOT}/config/examples/design_example.toml`);

function assertNoPassword(text: string, where: string): void {
  assert(!text.includes(PASSWORD), `the password appears in ${where}:\n${text}`);
  assert(!text.includes(encodeURIComponent(PASSWORD)), `the encoded password appears in ${where}`);
}

Deno.test({
  name: "database source runs the DESIGN.md example against PostgreSQL through sextant once",
  ignore: !PG,
  async fn() {
    await withPgSchema(async (schema) => {
      const dir = await Deno.makeTempDir({ prefix: "sextant-pg-" });
      try {
        const toml = DESIGN_EXAMPLE.replace(
          'connection_string = "postgresql://user:pass@localhost/db"',
          `connection_string = "${pgUrl(schema)}"`,
        );
        assert(toml !== DESIGN_EXAMPLE, "the connection string was replaced");
        await Deno.writeTextFile(`${dir}/sextant.toml`, toml);
        const once = await cli(["once", "-c", `${dir}/sextant.toml`, "--format", "json"]);
        assertEquals(once.code, 0, once.stderr);
        const out = JSON.parse(once.stdout) as {
          samples: { name: string; value: number; type: string }[];
          errors: unknown[];
        };
        const get = (n: string) => out.samples.find((s) => s.name === n);
        assertEquals(out.errors, []);
        // a, b and c logged in within the hour; 3 of the 4 transactions are that recent.
        assertEquals(get("database_metrics.active_users")?.value, 3);
        assertEquals(get("database_metrics.active_users")?.type, "gauge");
        assertEquals(get("database_metrics.transaction_volume")?.value, 3);
        assertEquals(get("database_metrics.transaction_volume")?.type, "counter");
        assertNoPassword(once.stdout + once.stderr, "sextant once");
        const printed = await cli(["config", "print", "-c", `${dir}/sextant.toml`, "--resolved"]);
        assertEquals(printed.code, 0, printed.stderr);
        assertStringIncludes(printed.stdout, "database_metrics");
        assertNoPassword(printed.stdout + printed.stderr, "config print");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});

Deno.test({
  name: "database source shows its pool in /status under sextant run, and the password nowhere",
  ignore: !PG,
  async fn() {
    await withPgSchema(async (schema) => {
      const dir = await Deno.makeTempDir({ prefix: "sextant-pg-" });
      try {
        await Deno.writeTextFile(
          `${dir}/sextant.toml`,
          `config_version = 4
[custom_metrics.agent]
jitter = 0
[custom_metrics.admin]
listen = "127.0.0.1:0"
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"
[[custom_metrics.sources]]
name = "shop"
type = "database"
connection_string = "${pgUrl(schema)}"
interval = "1s"
queries = [
  {name = "revenue", sql = "SELECT region, SUM(amount) AS total FROM transactions WHERE created_at > $1 GROUP BY region", params = ["1h_ago"], label_columns = ["region"]},
  {name = "broken", sql = "SELECT count(*) FROM no_such_table"},
]
[[custom_metrics.sources]]
name = "down"
type = "database"
connection_string = "postgresql://postgres:${PASSWORD}@127.0.0.1:1/x"
interval = "1s"
queries = [{name = "n", sql = "SELECT 1"}]
`,
        );
        const stop = new AbortController();
        const lines: string[] = [];
        const running = cli(["run", "-c", `${dir}/sextant.toml`], {
          stop: stop.signal,
          onStderr: (l) => lines.push(l),
        });
        let status = "";
        try {
          const url = (re: RegExp) =>
            waitFor(() => lines.map((l) => re.exec(l)?.[1]).find(Boolean), "the listeners", 30_000);
          const r = {
            adminUrl: await url(/admin API listening url=(\S+?)\/?$/),
            metricsUrl: await url(/url=(\S+\/metrics)/),
          };
          status = await waitFor(
            async () => {
              const text = await (await fetch(`${r.adminUrl}/status`)).text();
              const s = JSON.parse(text) as {
                sources: { name: string; collections: number; details?: { pool?: unknown } }[];
              };
              const shop = s.sources.find((x) => x.name === "shop");
              const down = s.sources.find((x) => x.name === "down");
              return shop?.details?.pool && shop.collections >= 2 && down!.collections >= 1
                ? text
                : undefined;
            },
            "two collections of the database source",
            30_000,
          );
          const metrics = await (await fetch(r.metricsUrl)).text();
          assert(/^shop_revenue\{[^}]*region="eu"[^}]*\} 30\.75$/m.test(metrics), metrics);
          assertNoPassword(metrics, "/metrics");
        } finally {
          stop.abort();
        }
        const ran = await running;
        assertEquals(ran.code, 0, ran.stderr);
        const s = JSON.parse(status) as {
          sources: {
            name: string;
            state: string;
            last_errors: { message: string }[];
            details: Record<string, unknown>;
          }[];
        };
        const shop = s.sources.find((x) => x.name === "shop")!;
        const pool = shop.details.pool as Record<string, number>;
        assertEquals(pool.size, 2);
        assert(pool.acquires >= 4 && pool.in_use === 0 && pool.waiting === 0, JSON.stringify(pool));
        assertEquals(shop.details.read_only, true);
        assertEquals(shop.state, "partial");
        assertStringIncludes(
          shop.last_errors[0].message,
          'relation "no_such_table" does not exist',
        );
        const down = s.sources.find((x) => x.name === "down")!;
        assertStringIncludes(
          down.last_errors[0].message,
          "cannot connect to postgresql://127.0.0.1:1/x",
        );
        assertNoPassword(status, "/status");
        assertNoPassword(ran.stderr, "the log");
        assertStringIncludes(ran.stderr, "ECONNREFUSED");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});

Deno.test({
  name: "database source sessions on PostgreSQL are read-only and writes are refused",
  ignore: !PG,
  async fn() {
    await withPgSchema(async (schema, admin) => {
      const driver = await loadDriver("postgres");
      const conn = await driver.connect(
        parseTarget(pgUrl(schema), true),
        AbortSignal.timeout(5000),
      );
      try {
        await assertRejects(
          () =>
            conn.query("INSERT INTO users (name) VALUES ($1)", ["x"], {
              timeoutMs: 5000,
              signal: AbortSignal.timeout(5000),
              maxRows: 10,
            }),
          Error,
          "cannot execute INSERT in a read-only transaction",
        );
      } finally {
        await conn.close();
      }
      const { acc } = await collect(schema, [
        { name: "sneaky", sql: "WITH d AS (DELETE FROM users RETURNING 1) SELECT count(*) FROM d" },
        { name: "plain", sql: "DELETE FROM users" },
        { name: "users", sql: "SELECT count(*) FROM users" },
      ]);
      assertEquals(acc.value("users"), 5);
      const byItem = Object.fromEntries(acc.errors.map((e) => [e.item, e.err as Error]));
      assertEquals(Object.keys(byItem).sort(), ["plain", "sneaky"]);
      assertInstanceOf(byItem.sneaky, CollectError);
      assertEquals(
        byItem.sneaky.message,
        'database source "test": query "sneaky": refused: the query contains "DELETE", which writes',
      );
      assertStringIncludes(byItem.plain.message, 'refused: a "DELETE" statement is not a read');
      const [{ n }] = await admin.unsafe(`SELECT count(*)::int AS n FROM ${schema}.users`);
      assertEquals(n, 5);
    });
  },
});

Deno.test({
  name:
    "database source on PostgreSQL keeps each query read-only even after a query turns the session default off",
  ignore: !PG,
  async fn() {
    await withPgSchema(async (schema, admin) => {
      // A function that writes passes any lexical check: only the transaction stops it.
      await admin.unsafe(
        `CREATE FUNCTION ${schema}.wipe() RETURNS int LANGUAGE sql AS $$ DELETE FROM ${schema}.users RETURNING 1 $$`,
      );
      const { acc } = await collect(
        schema,
        [
          {
            name: "unlock",
            sql: "SELECT set_config('default_transaction_read_only', 'off', false) = 'off'",
          },
          {
            name: "unlock_tx",
            sql: "SELECT set_config('transaction_read_only', 'off', false) = 'off'",
          },
          { name: "wipe", sql: "SELECT wipe()" },
          { name: "users", sql: "SELECT count(*) FROM users" },
        ],
        false,
        { pool: { size: 1 }, max_concurrency: 1 },
      );
      const byItem = Object.fromEntries(acc.errors.map((e) => [e.item, e.err as Error]));
      assertEquals(Object.keys(byItem).sort(), ["unlock_tx", "wipe"]);
      assertStringIncludes(
        byItem.unlock_tx.message,
        "transaction read-write mode must be set before any query",
      );
      assertEquals(
        byItem.wipe.message,
        'database source "test": query "wipe": cannot execute DELETE in a read-only transaction (25006)',
      );
      assertEquals(acc.value("users"), 5);
      const [{ n }] = await admin.unsafe(`SELECT count(*)::int AS n FROM ${schema}.users`);
      assertEquals(n, 5);
    });
  },
});

async function collect(
  schema: string,
  queries: Record<string, unknown>[],
  twice = false,
  extra: Record<string, unknown> = {},
) {
  const deps = testDeps();
  const src = databaseKind.create(
    configFor(databaseKind, { connection_string: pgUrl(schema), queries, ...extra }),
    deps,
  );
  try {
    await src.start(AbortSignal.timeout(5000));
    const acc = new RecordingAccumulator();
    await src.collect(acc, AbortSignal.timeout(10_000));
    const acc2 = new RecordingAccumulator();
    if (twice) await src.collect(acc2, AbortSignal.timeout(10_000));
    return { acc, acc2, details: src.details!(), logs: deps.logs };
  } finally {
    await src.stop();
  }
}

Deno.test({
  name: "database source on PostgreSQL binds params, maps rows and converts numbers exactly",
  ignore: !PG,
  async fn() {
    await withPgSchema(async (schema) => {
      const { acc, details, logs } = await collect(schema, [
        {
          name: "tx",
          sql:
            "SELECT region, count(*) AS n, sum(amount) AS amount FROM transactions WHERE created_at > $1 AND region <> $2 AND amount > $3 GROUP BY region ORDER BY region",
          params: ["1h_ago", "none", 1],
          label_columns: ["region"],
          value_columns: ["n", "amount"],
        },
        { name: "literal", sql: "SELECT length('$1') + $1::int", params: [40] },
        { name: "exact", sql: "SELECT 9007199254740992::bigint" },
        { name: "lossy", sql: "SELECT 12345678901234567890.5::numeric" },
        { name: "nan", sql: "SELECT 'NaN'::float8", on_null: "error" },
        { name: "null", sql: "SELECT NULL::int", on_null: "error" },
        {
          name: "kv",
          sql: "SELECT 'conns' AS m, 7 AS v UNION ALL SELECT 'idle', 2",
          metric_column: "m",
        },
      ]);
      assertEquals(acc.samples.filter((s) => s.name.startsWith("tx.")), [
        { name: "tx.n", value: 2, attributes: { region: "eu" } },
        { name: "tx.amount", value: 30.75, attributes: { region: "eu" } },
        { name: "tx.n", value: 1, attributes: { region: "us" } },
        { name: "tx.amount", value: 5, attributes: { region: "us" } },
      ]);
      assertEquals(acc.value("literal"), 42);
      assertEquals(acc.value("exact"), 9007199254740992);
      assertEquals(acc.value("lossy"), 12345678901234567000);
      assertEquals([acc.value("kv.conns"), acc.value("kv.idle")], [7, 2]);
      // Queries run two at a time: the order of their errors is not fixed.
      assertEquals(acc.errors.map((e) => (e.err as Error).message).sort(), [
        'database source "test": query "nan": column "float8": expected a number, found NaN',
        'database source "test": query "null": column "int4": expected a number, found NULL',
      ]);
      assertEquals(details.precision_losses, 1);
      assert(logs.some((l) => l.includes("precision lost") && l.includes('"query":"lossy"')));
    });
  },
});

Deno.test({
  name: "database source on PostgreSQL times a slow query out on the server and keeps going",
  ignore: !PG,
  async fn() {
    await withPgSchema(async (schema) => {
      const t0 = performance.now();
      const { acc, acc2, details } = await collect(schema, [
        { name: "slow", sql: "SELECT pg_sleep(5)", timeout: "300ms" },
        { name: "fast", sql: "SELECT 1" },
      ], true);
      assert(performance.now() - t0 < 4000, "the slow query was cut short");
      assertEquals(acc.value("fast"), 1);
      assertEquals(acc2.value("fast"), 1);
      assertInstanceOf(acc.errors[0].err, TimeoutError);
      assertEquals(
        (acc.errors[0].err as Error).message,
        'database source "test": query "slow" timed out after 300 ms',
      );
      assertEquals((details.queries as Record<string, { failures: number }>).slow.failures, 2);
    });
  },
});

Deno.test({
  name: "database source never shows a password holding '/' or ';' in sextant once or config print",
  ignore: !PG,
  async fn() {
    const u = new URL(PG_URL);
    const dir = await Deno.makeTempDir({ prefix: "sextant-pg-" });
    try {
      await Deno.writeTextFile(
        `${dir}/sextant.toml`,
        `[[custom_metrics.sources]]
name = "slash"
type = "database"
connection_string = "postgresql://u:Zq9/SECRETpw@${u.host}/x"
queries = [{name = "n", sql = "SELECT 1"}]
[[custom_metrics.sources]]
name = "ado"
type = "database"
connection_string = 'Server=127.0.0.1,1;Database=x;User Id=u;Password="Zq9;SECRETpw";Encrypt=false'
queries = [{name = "n", sql = "SELECT 1"}]
`,
      );
      const once = await cli(["once", "-c", `${dir}/sextant.toml`, "--format", "json"]);
      assertEquals(once.code, 1, once.stderr);
      const errors = (JSON.parse(once.stdout) as { errors: { source: string }[] }).errors;
      assertEquals(errors.map((e) => e.source).sort(), ["ado", "slash"]);
      const printed = await cli(["config", "print", "-c", `${dir}/sextant.toml`, "--resolved"]);
      assertEquals(printed.code, 0, printed.stderr);
      for (
        const [where, t] of [
          ["once", once.stdout + once.stderr],
          ["config print", printed.stdout + printed.stderr],
        ]
      ) assert(!t.includes("SECRETpw"), `the password appears in ${where}:\n${t}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "database source on PostgreSQL stops fetching at max_rows and says so per query",
  ignore: !PG,
  async fn() {
    await withPgSchema(async (schema) => {
      // Row 1000 divides by zero: fetching the whole result would fail the query.
      const rows = "SELECT g, 1 / (g - 1000) AS v FROM generate_series(1, 5000) g";
      const { acc } = await collect(
        schema,
        [
          { name: "capped", sql: rows, label_columns: ["g"], value_columns: ["v"] },
          // A single value reads two rows at most (the second only to tell a longer result).
          { name: "single", sql: "SELECT 10 / (g - 3) FROM generate_series(1, 5000) g" },
          {
            name: "empty",
            sql: "SELECT g, g AS v FROM generate_series(1, 0) g",
            label_columns: ["g"],
          },
        ],
        false,
        { max_rows: 10 },
      );
      assertEquals(acc.samples.filter((s) => s.name === "capped.v").length, 10);
      assertEquals(acc.value("single"), -5);
      assertEquals(acc.errors.map((e) => [e.item, (e.err as Error).message]), [[
        "capped",
        'database source "test": query "capped": the result has more than max_rows = 10 rows; only the first 10 were read',
      ]]);
      const full = await collect(schema, [
        { name: "capped", sql: rows, label_columns: ["g"], value_columns: ["v"] },
      ]);
      assertStringIncludes((full.acc.errors[0].err as Error).message, "division by zero");
    });
  },
});
