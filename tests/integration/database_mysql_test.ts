/**
 * The database source against the real MariaDB (or MySQL): its own
 * database and a user with a password per run, read-only sessions, `$N`
 * placeholders, exact numbers, timeouts, and a password that never shows.
 */
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "../assert.ts";
import mysql from "mysql2/promise";
import { ConnectError, TimeoutError } from "../../src/core/mod.ts";
import { databaseKind } from "../../src/sources/database/mod.ts";
import { loadDriver } from "../../src/sources/database/driver.ts";
import { parseTarget } from "../../src/sources/database/connection_string.ts";
import { configFor, RecordingAccumulator, testDeps } from "../support/source_harness.ts";
import { cli, MYSQL_URL, reachable, withCredentials, withMysqlDb } from "./database_helpers.ts";

const MY = await reachable(MYSQL_URL, "MariaDB/MySQL");

async function collect(
  url: string,
  queries: Record<string, unknown>[],
  twice = false,
  extra: Record<string, unknown> = {},
) {
  const deps = testDeps();
  const src = databaseKind.create(
    configFor(databaseKind, { connection_string: url, queries, ...extra }),
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
  name: "database source on MariaDB binds $N params, maps rows and converts numbers exactly",
  ignore: !MY,
  async fn() {
    await withMysqlDb(async (db) => {
      const { acc, details, logs } = await collect(db.url.replace(/^mysql:/, "mariadb:"), [
        {
          name: "orders",
          // $2 before $1, and a '$1' literal that must stay text.
          sql:
            "SELECT region, COUNT(*) AS n, SUM(total) AS total FROM orders WHERE region <> $2 AND created_at > $1 AND '$1' = '$1' GROUP BY region ORDER BY region",
          params: ["1h_ago", "none"],
          label_columns: ["region"],
          value_columns: ["n", "total"],
        },
        { name: "native", sql: "SELECT ? + ?", params: [40, 2] },
        { name: "big", sql: "SELECT big FROM orders WHERE region = 'eu' ORDER BY id LIMIT 1" },
        { name: "nulls", sql: "SELECT big FROM orders WHERE region = 'us'", on_null: "error" },
      ]);
      assertEquals(acc.samples.filter((s) => s.name.startsWith("orders")), [
        { name: "orders.n", value: 2, attributes: { region: "eu" } },
        { name: "orders.total", value: 30.75, attributes: { region: "eu" } },
      ]);
      assertEquals(acc.value("native"), 42);
      assertEquals(acc.value("big"), 9007199254740992);
      assertEquals(details.precision_losses, 1);
      assert(logs.some((l) => l.includes("precision lost") && l.includes('"query":"big"')));
      assertEquals(acc.errors.map((e) => (e.err as Error).message), [
        'database source "test": query "nulls": column "big": expected a number, found NULL',
      ]);
    });
  },
});

Deno.test({
  name: "database source on MariaDB refuses executable comments and writes after WITH",
  ignore: !MY,
  async fn() {
    await withMysqlDb(async (db) => {
      const outfile = await Deno.makeTempFile();
      await Deno.remove(outfile);
      const { acc } = await collect(
        db.url,
        [
          { name: "unlock", sql: "/*! SET SESSION tx_read_only = */ (SELECT 0)" },
          { name: "wipe", sql: "/*! DELETE FROM orders WHERE id = */ (SELECT 1)" },
          { name: "maria", sql: "/*M! DELETE FROM orders WHERE id = */ (SELECT 2)" },
          { name: "file", sql: `SELECT 42 /*! INTO OUTFILE '${outfile}' */` },
          { name: "cte", sql: "WITH x AS (SELECT 1) DELETE FROM orders" },
          { name: "n", sql: "SELECT COUNT(*) FROM orders" },
        ],
        false,
        { pool: { size: 1 }, max_concurrency: 1, read_only: false },
      );
      const byItem = Object.fromEntries(acc.errors.map((e) => [e.item, (e.err as Error).message]));
      assertEquals(Object.keys(byItem).sort(), ["cte", "file", "maria", "unlock", "wipe"]);
      for (const item of ["unlock", "wipe", "maria", "file"]) {
        assertEquals(
          byItem[item],
          `database source "test": query "${item}": refused: the query holds a MySQL executable ` +
            "comment (/*! ... */ or /*M! ... */), whose content the server runs as code",
        );
      }
      assertStringIncludes(byItem.cte, 'refused: the query contains "DELETE", which writes');
      assertEquals(acc.value("n"), 3);
      assertEquals(await Deno.stat(outfile).then(() => true, () => false), false);
    });
  },
});

Deno.test({
  name:
    "database source on MariaDB keeps each query read-only after a function turns the session default off",
  ignore: !MY,
  async fn() {
    await withMysqlDb(async (db) => {
      const admin = await mysql.createConnection({ uri: MYSQL_URL });
      try {
        // Functions pass any lexical check: only the transaction stops their writes.
        await admin.query(
          `CREATE FUNCTION ${db.name}.unlk() RETURNS INT BEGIN SET SESSION tx_read_only = 0; RETURN 1; END`,
        );
        await admin.query(
          `CREATE FUNCTION ${db.name}.wipe() RETURNS INT BEGIN DELETE FROM ${db.name}.orders; RETURN 1; END`,
        );
        const { acc } = await collect(
          db.url,
          [
            { name: "unlock", sql: "SELECT unlk()" },
            { name: "wipe", sql: "SELECT wipe()" },
            { name: "n", sql: "SELECT COUNT(*) FROM orders" },
          ],
          false,
          { pool: { size: 1 }, max_concurrency: 1 },
        );
        const byItem = Object.fromEntries(
          acc.errors.map((e) => [e.item, (e.err as Error).message]),
        );
        assertEquals(Object.keys(byItem), ["wipe"]);
        assertStringIncludes(byItem.wipe, "Cannot execute statement in a READ ONLY transaction");
        assertEquals(acc.value("n"), 3);
        const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM ${db.name}.orders`);
        assertEquals((rows as { n: number }[])[0].n, 3);
      } finally {
        await admin.end();
      }
    });
  },
});

Deno.test({
  name: "database source on MariaDB stops fetching at max_rows and says so per query",
  ignore: !MY,
  async fn() {
    await withMysqlDb(async (db) => {
      const rows =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) " +
        "SELECT x, x * 2 AS v FROM c";
      const { acc, acc2 } = await collect(
        db.url,
        [
          { name: "capped", sql: rows, label_columns: ["x"], value_columns: ["v"] },
          { name: "single", sql: rows.replace("SELECT x, ", "SELECT ") },
          { name: "n", sql: "SELECT COUNT(*) FROM orders" },
        ],
        true,
        { max_rows: 10, pool: { size: 1 }, max_concurrency: 1 },
      );
      for (const a of [acc, acc2]) {
        assertEquals(a.samples.filter((s) => s.name === "capped.v").length, 10);
        assertEquals(a.value("single"), 2);
        // The dropped session is replaced: the next query on the one pooled session works.
        assertEquals(a.value("n"), 3);
        assertEquals(a.errors.map((e) => [e.item, (e.err as Error).message]), [[
          "capped",
          'database source "test": query "capped": the result has more than max_rows = 10 rows; only the first 10 were read',
        ]]);
      }
    });
  },
});

Deno.test({
  name: "database source sessions on MariaDB are read-only and writes are refused",
  ignore: !MY,
  async fn() {
    await withMysqlDb(async (db) => {
      const driver = await loadDriver("mysql");
      const conn = await driver.connect(parseTarget(db.url, true), AbortSignal.timeout(5000));
      try {
        await assertRejects(
          () =>
            conn.query("INSERT INTO orders (region) VALUES (?)", ["xx"], {
              timeoutMs: 5000,
              signal: AbortSignal.timeout(5000),
              maxRows: 10,
            }),
          Error,
          "Cannot execute statement in a READ ONLY transaction",
        );
      } finally {
        await conn.close();
      }
      const { acc } = await collect(db.url, [
        { name: "wipe", sql: "DELETE FROM orders" },
        { name: "copy", sql: "SELECT * INTO OUTFILE '/tmp/x' FROM orders" },
        { name: "n", sql: "SELECT COUNT(*) FROM orders" },
      ]);
      assertEquals(acc.value("n"), 3);
      const byItem = Object.fromEntries(acc.errors.map((e) => [e.item, (e.err as Error).message]));
      assertStringIncludes(byItem.wipe, 'refused: a "DELETE" statement is not a read');
      assertStringIncludes(byItem.copy, 'refused: the query contains "INTO", which writes');
    });
  },
});

Deno.test({
  name: "database source on MariaDB times a slow query out and keeps going",
  ignore: !MY,
  async fn() {
    await withMysqlDb(async (db) => {
      const t0 = performance.now();
      const { acc, acc2 } = await collect(db.url, [
        { name: "slow", sql: "SELECT SLEEP(5)", timeout: "300ms" },
        { name: "fast", sql: "SELECT 1" },
      ], true);
      assert(performance.now() - t0 < 4000, "the slow query was cut short");
      assertEquals([acc.value("fast"), acc2.value("fast")], [1, 1]);
      const slow = acc.errors.find((e) => e.item === "slow")?.err;
      assertInstanceOf(slow, TimeoutError);
      assertEquals(
        (slow as Error).message,
        'database source "test": query "slow" timed out after 300 ms',
      );
      assertEquals(acc.samples.filter((s) => s.name === "slow"), []);
    });
  },
});

Deno.test({
  name: "database source on MariaDB never shows the password: wrong login, errors and sextant once",
  ignore: !MY,
  async fn() {
    await withMysqlDb(async (db) => {
      const wrong = withCredentials(db.url, db.user, `${db.password}-wrong`);
      const deps = testDeps();
      const src = databaseKind.create(
        configFor(databaseKind, {
          connection_string: wrong,
          queries: [{ name: "n", sql: "SELECT 1" }],
        }),
        deps,
      );
      const err = await assertRejects(
        () => src.start(AbortSignal.timeout(5000)),
        ConnectError,
        "Access denied for user",
      );
      await src.stop();
      const text = `${(err as Error).message}\n${deps.logs.join("\n")}`;
      assert(!text.includes(db.password), text);
      const dir = await Deno.makeTempDir({ prefix: "sextant-my-" });
      try {
        await Deno.writeTextFile(
          `${dir}/sextant.toml`,
          `[[custom_metrics.sources]]
name = "shop"
type = "database"
connection_string = "${db.url}"
queries = [{name = "orders", sql = "SELECT COUNT(*) FROM orders"}, {name = "bad", sql = "SELECT nope FROM orders"}]
[[custom_metrics.sources]]
name = "denied"
type = "database"
connection_string = "${wrong}"
queries = [{name = "n", sql = "SELECT 1"}]
`,
        );
        const once = await cli(["once", "-c", `${dir}/sextant.toml`, "--format", "json"]);
        assertEquals(once.code, 1, once.stderr);
        const out = JSON.parse(once.stdout) as {
          samples: { name: string; value: number }[];
          errors: { source: string; message: string }[];
        };
        assertEquals(out.samples.find((s) => s.name === "shop.orders")?.value, 3);
        assertEquals(out.errors.map((e) => e.source).sort(), ["denied", "shop"]);
        assertStringIncludes(
          out.errors.find((e) => e.source === "denied")!.message,
          "Access denied",
        );
        const printed = await cli(["config", "print", "-c", `${dir}/sextant.toml`, "--resolved"]);
        for (
          const [where, t] of [["once", once.stdout + once.stderr], [
            "config print",
            printed.stdout + printed.stderr,
          ]]
        ) {
          assert(!t.includes(db.password), `the password appears in ${where}:\n${t}`);
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});
