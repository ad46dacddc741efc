/**
 * `${VAR}` in a query's params: interpolated by the config loader, then bound
 * by the driver (never pasted into the SQL), through the real CLI and SQLite.
 */
import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertStringIncludes } from "../assert.ts";
import { cli } from "./database_helpers.ts";

Deno.test("database params take ${VAR} values from the environment, bound by the driver", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-db-env-" });
  try {
    const db = new DatabaseSync(`${dir}/orders.db`);
    db.exec("CREATE TABLE orders(region TEXT, n INTEGER)");
    // The value holds a quote and SQL: pasted into the query it would break it or match all rows.
    db.exec("INSERT INTO orders VALUES ('eu', 3), ('us', 5), ('x'' OR ''1''=''1', 11)");
    db.close();
    Deno.env.set("SEXTANT_TEST_REGION", "x' OR '1'='1");
    await Deno.writeTextFile(
      `${dir}/db.toml`,
      `[[custom_metrics.sources]]
name = "shop"
type = "database"
connection_string = "sqlite:orders.db"
queries = [
  {name = "orders", sql = "SELECT COALESCE(SUM(n), 0) FROM orders WHERE region = $1", params = ["\${SEXTANT_TEST_REGION}"]},
  {name = "eu", sql = "SELECT COALESCE(SUM(n), 0) FROM orders WHERE region = $1", params = ["\${SEXTANT_TEST_MISSING:-eu}"]},
]
`,
    );
    const r = await cli(["once", "-c", `${dir}/db.toml`, "--format", "json"]);
    assertEquals(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { samples: { name: string; value: number }[] };
    const values = Object.fromEntries(out.samples.map((s) => [s.name, s.value]));
    assertEquals(values, { "shop.orders": 11, "shop.eu": 3 });
    // The value came from the environment: a secret, so config print masks it.
    const printed = await cli(["config", "print", "-c", `${dir}/db.toml`, "--resolved"]);
    assertEquals(printed.code, 0, printed.stderr);
    assertStringIncludes(printed.stdout, "params");
    assertEquals(printed.stdout.includes("OR '1'='1"), false, printed.stdout);
  } finally {
    Deno.env.delete("SEXTANT_TEST_REGION");
    await Deno.remove(dir, { recursive: true });
  }
});
