import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "../../../tests/assert.ts";
import { parse as parseToml } from "smol-toml";
import { DatabaseSync } from "node:sqlite";
import { CollectError, ConnectError, FakeClock, TimeoutError } from "../../core/mod.ts";
import { databaseKind } from "./mod.ts";
import { loadDriver } from "./driver.ts";
import { mssqlConfig } from "./drivers/mssql.ts";
import { endpointOf, parseTarget } from "./connection_string.ts";
import {
  configFor,
  RecordingAccumulator,
  schemaIssues,
  testDeps,
} from "../../../tests/support/source_harness.ts";

/** A SQLite file with a few rows, written before the source opens it read-only. */
async function withDb(fn: (dir: string, file: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sextant-db-" });
  const file = `${dir}/app.db`;
  const db = new DatabaseSync(file);
  db.exec(`
    CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT, region TEXT, cost REAL, created_at TEXT);
    INSERT INTO jobs (state, region, cost, created_at) VALUES
      ('pending', 'eu', 1.5, datetime('now')), ('pending', 'us', 2.5, datetime('now', '-2 hours')),
      ('done', 'eu', NULL, datetime('now')), ('pending', 'eu', 4, datetime('now', '-10 minutes'));
    CREATE TABLE big (n INTEGER, t TEXT); INSERT INTO big VALUES (9007199254740993, 'x');
  `);
  db.close();
  try {
    await fn(dir, file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function collect(table: Record<string, unknown>, deps = testDeps()) {
  const src = databaseKind.create(configFor(databaseKind, table), deps);
  const acc = new RecordingAccumulator();
  try {
    await src.start(AbortSignal.timeout(5000));
    await src.collect(acc, AbortSignal.timeout(5000));
    return { acc, details: src.details!(), logs: deps.logs };
  } finally {
    await src.stop();
  }
}

Deno.test("databaseKind runs SQLite queries with bound params and maps rows", async () => {
  await withDb(async (dir) => {
    const { acc, details } = await collect({
      connection_string: "sqlite:app.db",
      queries: [
        { name: "pending", sql: "SELECT COUNT(*) FROM jobs WHERE state = $1", params: ["pending"] },
        {
          name: "recent",
          sql: "SELECT COUNT(*) FROM jobs WHERE created_at > $1 AND state = ?2",
          params: ["1h_ago", "pending"],
          otel_type: "counter",
        },
        {
          name: "by_region",
          sql:
            "SELECT region, COUNT(*) AS jobs, SUM(cost) AS cost FROM jobs GROUP BY region ORDER BY region",
          label_columns: ["region"],
          value_columns: ["jobs", "cost"],
          static_attributes: { tier: "gold" },
        },
      ],
    }, testDeps(dir));
    assertEquals(acc.errors, []);
    assertEquals(acc.value("pending"), 3);
    assertEquals(acc.samples.find((s) => s.name === "recent"), {
      name: "recent",
      value: 2,
      type: "counter",
    });
    assertEquals(acc.samples.filter((s) => s.name.startsWith("by_region")), [
      { name: "by_region.jobs", value: 3, attributes: { tier: "gold", region: "eu" } },
      { name: "by_region.cost", value: 5.5, attributes: { tier: "gold", region: "eu" } },
      { name: "by_region.jobs", value: 1, attributes: { tier: "gold", region: "us" } },
      { name: "by_region.cost", value: 2.5, attributes: { tier: "gold", region: "us" } },
    ]);
    assertEquals((details.pool as { size: number }).size, 2);
    assertEquals(details.endpoint, `sqlite:${dir}/app.db`);
    assertEquals((details.queries as Record<string, { runs: number }>).pending.runs, 1);
  });
});

Deno.test("databaseKind refuses writes: SQLite opens read-only, and write statements never run", async () => {
  await withDb(async (_dir, file) => {
    const driver = await loadDriver("sqlite");
    const conn = await driver.connect(
      parseTarget(`sqlite:${file}`, true),
      AbortSignal.timeout(10_000),
    );
    const err = await assertRejects(
      () =>
        conn.query("DELETE FROM jobs", [], {
          timeoutMs: 1000,
          signal: AbortSignal.timeout(10_000),
          maxRows: 10,
        }),
      Error,
      "attempt to write a readonly database",
    );
    assert(err);
    await conn.close();
    const { acc } = await collect({
      connection_string: `sqlite:${file}`,
      queries: [
        { name: "wipe", sql: "DELETE FROM jobs" },
        { name: "left", sql: "SELECT COUNT(*) FROM jobs" },
      ],
    });
    assertEquals(acc.value("left"), 4);
    assertEquals(acc.errors.length, 1);
    assertInstanceOf(acc.errors[0].err, CollectError);
    assertEquals(
      (acc.errors[0].err as Error).message,
      'database source "test": query "wipe": refused: a "DELETE" statement is not a read; only SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN, DESCRIBE and PRAGMA run',
    );
    assertEquals(acc.errors[0].item, "wipe");
  });
});

Deno.test("databaseKind reports each failing query with its name and keeps the others", async () => {
  await withDb(async (_dir, file) => {
    const { acc, details, logs } = await collect({
      connection_string: `sqlite:${file}`,
      on_null: "error",
      queries: [
        { name: "missing", sql: "SELECT nope FROM jobs" },
        { name: "nulls", sql: "SELECT cost FROM jobs WHERE state = 'done'" },
        { name: "text", sql: "SELECT t FROM big", on_null: "zero" },
        { name: "huge", sql: "SELECT n FROM big" },
        { name: "ok", sql: "SELECT 1" },
      ],
    });
    // Queries run concurrently (two at a time), so the order is not fixed.
    assertEquals(acc.samples.map((s) => [s.name, s.value]).sort(), [
      ["huge", 9007199254740992],
      ["ok", 1],
      ["text", 0],
    ]);
    assertEquals(acc.errors.map((e) => (e.err as Error).message).sort(), [
      'database source "test": query "missing": no such column: nope (ERR_SQLITE_ERROR)',
      'database source "test": query "nulls": column "cost": expected a number, found NULL',
    ]);
    assertEquals(details.precision_losses, 1);
    assert(
      logs.some((l) => l.includes("precision lost") && l.includes('"column":"n"')),
      logs.join("\n"),
    );
    assertEquals((details.queries as Record<string, { failures: number }>).missing.failures, 1);
  });
});

Deno.test("databaseKind runs a query with its own interval only when due", async () => {
  await withDb(async (_dir, file) => {
    const clock = new FakeClock(1_000_000);
    const deps = { ...testDeps(), clock };
    const src = databaseKind.create(
      configFor(databaseKind, {
        connection_string: `sqlite:${file}`,
        interval: "10s",
        queries: [
          { name: "often", sql: "SELECT 1" },
          { name: "rare", sql: "SELECT 2", interval: "30s" },
        ],
      }),
      deps,
    );
    await src.start(AbortSignal.timeout(10_000));
    const names: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const acc = new RecordingAccumulator();
      await src.collect(acc, AbortSignal.timeout(10_000));
      names.push(acc.samples.map((s) => s.name).sort());
      clock.jump(10_000);
    }
    await src.stop();
    await src.stop();
    assertEquals(names, [["often", "rare"], ["often"], ["often"], ["often", "rare"]]);
  });
});

Deno.test("databaseKind start fails with a ConnectError naming the endpoint, and collect before start reports it", async () => {
  const deps = testDeps();
  const src = databaseKind.create(
    configFor(databaseKind, {
      connection_string: "sqlite:/nonexistent/dir/x.db",
      queries: [{ name: "q", sql: "SELECT 1" }],
    }),
    deps,
  );
  const acc = new RecordingAccumulator();
  await src.collect(acc, AbortSignal.timeout(10_000));
  assertEquals((acc.errors[0].err as Error).message, 'database source "test": not started');
  const err = await assertRejects(
    () => src.start(AbortSignal.timeout(10_000)),
    ConnectError,
    "cannot connect to sqlite:/nonexistent/dir/x.db",
  );
  assertStringIncludes((err as Error).message, 'database source "test"');
  assertEquals(src.details!().connected, false);
  await src.stop();
});

Deno.test("databaseKind check reports duplicate names, writes, unbound placeholders and bad intervals", () => {
  const config = configFor(databaseKind, {
    connection_string: "postgresql://u:p@h/db",
    interval: 60,
    queries: [
      { name: "a", sql: "SELECT $2", params: [1] },
      { name: "a", sql: "UPDATE t SET x = 1" },
      { name: "b", sql: "SELECT 1", interval: 30, label_columns: ["x"], value_columns: ["X"] },
    ],
  });
  assertEquals(databaseKind.check!(config), [
    {
      path: ["queries", 0, "params"],
      message: "placeholder $2 has no value: the query has 1 param",
    },
    { path: ["queries", 1, "name"], message: 'duplicate query name "a"' },
    {
      path: ["queries", 1, "sql"],
      message:
        'refused: a "UPDATE" statement is not a read; only SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN, DESCRIBE and PRAGMA run',
    },
    { path: ["queries", 2, "value_columns", 0], message: '"X" is also a label column' },
    {
      path: ["queries", 2, "interval"],
      message: "a query cannot run more often than its source (interval 60s)",
    },
  ]);
  assertEquals(
    schemaIssues(databaseKind, {
      connection_string: "redis://x",
      queries: [{ name: "a", sql: "SELECT 1" }],
    }),
    [
      "connection_string: expected a postgresql://, mysql://, mariadb://, sqlite:, sqlserver:// or Server=... connection string",
    ],
  );
  assertEquals(
    schemaIssues(databaseKind, {
      connection_string: "sqlite:x",
      queries: [{ name: "a", sql: "SELECT 1", on_null: "drop" }],
    }),
    ['queries.0.on_null: Invalid option: expected one of "skip"|"zero"|"error"'],
  );
});

Deno.test("databaseKind registers the password of URL and ADO connection strings, and endpoints hide it", () => {
  const deps = testDeps();
  databaseKind.create(
    configFor(databaseKind, {
      connection_string: "postgresql://app:Pw-%40-Secret9@db.example.com:5433/prod?sslmode=require",
      queries: [{ name: "q", sql: "SELECT 1" }],
    }),
    deps,
  );
  assertEquals(deps.redactor.redact("x Pw-@-Secret9 y Pw-%40-Secret9"), "x *** y ***");
  assertEquals(
    endpointOf("postgresql://app:Pw@db.example.com:5433/prod?sslmode=require", "postgres"),
    "postgresql://db.example.com:5433/prod",
  );
  assertEquals(
    endpointOf("Server=tcp:sql1,1433;Database=erp;User Id=m;Password=Ado-Secret-1", "mssql"),
    "mssql://tcp:sql1,1433/erp",
  );
  assertEquals(endpointOf("mysql://u:p@[::1", "mysql"), "mysql://(unparsable)");
  const cfg = mssqlConfig(
    parseTarget(
      "Server=tcp:sql1,1433;Database=erp;User Id=m;Password='Ado;Secret';Encrypt=false;TrustServerCertificate=yes",
      true,
    ),
  );
  assertEquals([
    cfg.server,
    cfg.port,
    cfg.database,
    cfg.user,
    cfg.options.encrypt,
    cfg.options.trustServerCertificate,
  ], ["sql1", 1433, "erp", "m", false, true]);
  const url = mssqlConfig(parseTarget("sqlserver://sa:p%40ss@h:1444/db", false));
  assertEquals([
    url.server,
    url.port,
    url.password,
    url.options.encrypt,
    url.options.readOnlyIntent,
  ], ["h", 1444, "p@ss", true, undefined]);
});

Deno.test("databaseKind sample.toml parses and validates", async () => {
  const doc = parseToml(await Deno.readTextFile(new URL("./sample.toml", import.meta.url))) as {
    custom_metrics: { sources: Record<string, unknown>[] };
  };
  assertEquals(doc.custom_metrics.sources.length, 4);
  for (const table of doc.custom_metrics.sources) {
    assertEquals(schemaIssues(databaseKind, table), []);
    assertEquals(databaseKind.check!(configFor(databaseKind, table)), []);
    databaseKind.create(configFor(databaseKind, table), testDeps());
  }
});

Deno.test("databaseKind README shows sample.toml", async () => {
  const sample = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  assert(readme.includes(sample.slice(sample.indexOf("[[custom_metrics.sources]]")).trim()));
});

Deno.test("databaseKind example config/examples/database.toml validates", async () => {
  const file = new URL("../../../config/examples/database.toml", import.meta.url).pathname;
  const doc = parseToml(await Deno.readTextFile(file)) as {
    custom_metrics: { sources: Record<string, unknown>[] };
  };
  assertEquals(doc.custom_metrics.sources.length, 4);
  for (const table of doc.custom_metrics.sources) {
    assertEquals(schemaIssues(databaseKind, table), []);
    assertEquals(databaseKind.check!(configFor(databaseKind, table)), []);
  }
});

Deno.test("databaseKind stops reading SQLite rows at max_rows and says so per query", async () => {
  await withDb(async (_dir, file) => {
    // Row 101 fails (integer overflow): reading past the cap would turn the result into an error.
    const rows =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) " +
      "SELECT x, CASE WHEN x > 100 THEN abs(-9223372036854775808) ELSE x END AS v FROM c";
    const { acc } = await collect({
      connection_string: `sqlite:${file}`,
      max_rows: 5,
      queries: [
        { name: "capped", sql: rows, label_columns: ["x"], value_columns: ["v"] },
        { name: "single", sql: rows.replace("SELECT x, ", "SELECT ") },
        { name: "own", sql: rows, label_columns: ["x"], value_columns: ["v"], max_rows: 2 },
        // Under the cap the error row is read, and the error is not lost.
        { name: "broken", sql: rows, label_columns: ["x"], value_columns: ["v"], max_rows: 200 },
      ],
    });
    assertEquals(acc.samples.filter((s) => s.name === "capped.v").length, 5);
    assertEquals(acc.samples.filter((s) => s.name === "own.v").length, 2);
    assertEquals(acc.value("single"), 1);
    assertEquals(
      acc.errors.map((e) => [e.item, (e.err as Error).message]).sort(),
      [
        ["broken", 'database source "test": query "broken": integer overflow (ERR_SQLITE_ERROR)'],
        [
          "capped",
          'database source "test": query "capped": the result has more than max_rows = 5 rows; only the first 5 were read',
        ],
        [
          "own",
          'database source "test": query "own": the result has more than max_rows = 2 rows; only the first 2 were read',
        ],
      ],
    );
    assertInstanceOf(acc.errors[0].err, CollectError);
  });
});

Deno.test("databaseKind times a runaway SQLite query out without blocking the process", async () => {
  await withDb(async (_dir, file) => {
    const deps = testDeps();
    const make = (name: string, sql: string) =>
      databaseKind.create(
        configFor(databaseKind, {
          name,
          connection_string: `sqlite:${file}`,
          timeout: "150ms",
          pool: { size: 1 },
          queries: [{ name: "q", sql }],
        }),
        deps,
      );
    const runaway = make(
      "runaway",
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) " +
        "SELECT count(*) FROM c",
    );
    const other = make("other", "SELECT COUNT(*) FROM jobs");
    await runaway.start(AbortSignal.timeout(10_000));
    await other.start(AbortSignal.timeout(10_000));
    try {
      // The event loop keeps turning while SQLite runs: timers fire, other sources answer.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      const acc = new RecordingAccumulator();
      const otherAcc = new RecordingAccumulator();
      const t0 = performance.now();
      try {
        await Promise.all([
          runaway.collect(acc, AbortSignal.timeout(10_000)),
          other.collect(otherAcc, AbortSignal.timeout(10_000)),
        ]);
      } finally {
        clearInterval(timer);
      }
      const elapsed = performance.now() - t0;
      // A blocked event loop would let the query finish (about a second) before any timer.
      assert(ticks >= 3, `only ${ticks} timer ticks while the query ran`);
      assert(elapsed < 5000, `the timeout took ${elapsed} ms`);
      assertEquals(otherAcc.value("q"), 4);
      assertEquals(otherAcc.errors, []);
      assertEquals(acc.errors.length, 1);
      assertInstanceOf(acc.errors[0].err, TimeoutError);
      assertStringIncludes(
        (acc.errors[0].err as Error).message,
        'database source "runaway": query "q"',
      );
      // The terminated connection was dropped.
      assertEquals((runaway.details!().pool as { open: number }).open, 0);
    } finally {
      await runaway.stop();
      await other.stop();
    }
  });
});
