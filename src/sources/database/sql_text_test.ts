import { assertEquals, assertThrows } from "../../../tests/assert.ts";
import { translatePlaceholders, writeRefusal } from "./sql_text.ts";

Deno.test("translatePlaceholders rewrites $N for each driver and reorders MySQL params", () => {
  const sql = "SELECT a FROM t WHERE b > $2 AND c = $1 AND d = $2";
  assertEquals(translatePlaceholders(sql, "postgres", 2), { sql, order: [0, 1] });
  assertEquals(translatePlaceholders(sql, "mysql", 2), {
    sql: "SELECT a FROM t WHERE b > ? AND c = ? AND d = ?",
    order: [1, 0, 1],
  });
  assertEquals(
    translatePlaceholders(sql, "sqlite", 2).sql,
    "SELECT a FROM t WHERE b > ?2 AND c = ?1 AND d = ?2",
  );
  assertEquals(
    translatePlaceholders(sql, "mssql", 2).sql,
    "SELECT a FROM t WHERE b > @p2 AND c = @p1 AND d = @p2",
  );
});

Deno.test("translatePlaceholders leaves literals, quoted names and comments alone", () => {
  const sql = `SELECT '$1', "x$1", \`y$1\`, [z$1] -- $1\n/* $1 */ FROM t WHERE a = $1 # $1`;
  assertEquals(
    translatePlaceholders(sql, "mysql", 1).sql,
    `SELECT '$1', "x$1", \`y$1\`, [z$1] -- $1\n/* $1 */ FROM t WHERE a = ? # $1`,
  );
  assertEquals(
    translatePlaceholders("SELECT 'it''s $1', [a $1] FROM t WHERE a = $1", "mssql", 1).sql,
    "SELECT 'it''s $1', [a $1] FROM t WHERE a = @p1",
  );
  assertEquals(
    translatePlaceholders("SELECT 'a\\'$1', $1", "mysql", 1).sql,
    "SELECT 'a\\'$1', ?",
  );
  assertEquals(
    translatePlaceholders("SELECT price$1 FROM t", "sqlite", 1).sql,
    "SELECT price$1 FROM t",
  );
});

Deno.test("translatePlaceholders keeps native syntax as written", () => {
  assertEquals(translatePlaceholders("SELECT ? + ?", "mysql", 2), {
    sql: "SELECT ? + ?",
    order: [0, 1],
  });
  assertEquals(translatePlaceholders("SELECT @p1", "mssql", 1).sql, "SELECT @p1");
  assertEquals(translatePlaceholders("SELECT :a, ?2", "sqlite", 2).sql, "SELECT :a, ?2");
});

Deno.test("translatePlaceholders rejects a placeholder without a value", () => {
  assertThrows(
    () => translatePlaceholders("SELECT $3", "mysql", 2),
    RangeError,
    "placeholder $3 has no value: the query has 2 params",
  );
  assertThrows(
    () => translatePlaceholders("SELECT $1 WHERE x = $$ $1 $$", "postgres", 0),
    RangeError,
    "placeholder $1 has no value: the query has 0 params",
  );
  // Inside PostgreSQL dollar quoting a $1 is text.
  assertEquals(translatePlaceholders("SELECT $q$ $1 $q$", "postgres", 0).order, []);
});

Deno.test("writeRefusal accepts reads and refuses writes with the reason", () => {
  for (
    const sql of [
      "SELECT 1",
      "  (SELECT 1)",
      "with x as (select 1) select * from x",
      "SHOW max_connections",
      "EXPLAIN SELECT 1",
      "PRAGMA page_count",
      "SELECT 'DELETE FROM t; INSERT INTO x' AS s;",
      "-- DROP TABLE t\nSELECT 1",
    ]
  ) assertEquals(writeRefusal(sql, "postgres"), undefined, sql);
  assertEquals(
    writeRefusal("DELETE FROM users", "postgres"),
    'a "DELETE" statement is not a read; only SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN, DESCRIBE and PRAGMA run',
  );
  assertEquals(
    writeRefusal("SELECT 1; DROP TABLE users", "mysql"),
    "the query holds several statements; give each its own query",
  );
  assertEquals(
    writeRefusal("SELECT * INTO backup FROM users", "mssql"),
    'the query contains "INTO", which writes',
  );
  assertEquals(
    writeRefusal("EXPLAIN ANALYZE DELETE FROM t", "postgres"),
    'the query contains "ANALYZE", which writes',
  );
  assertEquals(
    writeRefusal("PRAGMA journal_mode = WAL", "sqlite"),
    "a PRAGMA that sets a value writes",
  );
  assertEquals(writeRefusal("  -- nothing\n", "sqlite"), "the query is empty");
});

Deno.test("writeRefusal refuses MySQL executable comments, which the server runs as code", () => {
  const why = "the query holds a MySQL executable comment (/*! ... */ or /*M! ... */), " +
    "whose content the server runs as code";
  for (
    const sql of [
      "/*! SET SESSION tx_read_only = */ (SELECT 0)",
      "/*! DELETE FROM t WHERE x = */ (SELECT 1)",
      "SELECT 42 /*! INTO OUTFILE '/tmp/x.txt' */",
      "SELECT 1 /*!50000 , sleep(1) */",
      "SELECT 1 /*M! , 2 */",
      "SELECT 1 /*m!100000 , 2 */",
    ]
  ) assertEquals(writeRefusal(sql, "mysql"), why, sql);
  // Plain comments and the same text in a literal stay fine; other databases treat them as comments.
  assertEquals(writeRefusal("SELECT '/*! x */' /* ! not executable */", "mysql"), undefined);
  assertEquals(writeRefusal("SELECT 1 /*! DELETE */", "postgres"), undefined);
});

Deno.test("writeRefusal refuses data-modifying statements after a WITH and FOR UPDATE", () => {
  const cases: [string, string, string][] = [
    ["WITH x AS (SELECT 1) DELETE FROM t", "postgres", "DELETE"],
    ["WITH x AS (SELECT 1) UPDATE t SET s = 'pwned'", "sqlite", "UPDATE"],
    [
      "WITH d AS (DELETE FROM t WHERE x = 1 RETURNING 1) SELECT count(*) FROM d",
      "postgres",
      "DELETE",
    ],
    ["with x as (select 1) insert into t select * from x", "mysql", "INSERT"],
    [
      "WITH s AS (SELECT 1 AS a) MERGE t USING s ON t.a = s.a WHEN MATCHED THEN DELETE;",
      "mssql",
      "MERGE",
    ],
    ["SELECT * FROM t FOR UPDATE", "postgres", "UPDATE"],
    ["WITH x AS (SELECT 1) TRUNCATE t", "postgres", "TRUNCATE"],
  ];
  for (const [sql, kind, word] of cases) {
    assertEquals(
      writeRefusal(sql, kind as "postgres"),
      `the query contains ${JSON.stringify(word)}, which writes`,
      sql,
    );
  }
  // Words that merely contain a keyword, quoted names and literals are reads.
  for (
    const sql of [
      "WITH x AS (SELECT updated_at, deleted FROM t) SELECT count(*) FROM x",
      `SELECT "update", 'DELETE FROM t' FROM t`,
      "SELECT last_update FROM pg_stat_user_tables",
    ]
  ) assertEquals(writeRefusal(sql, "postgres"), undefined, sql);
});
