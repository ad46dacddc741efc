/**
 * The database source under Bun: the same `sextant once` against SQLite
 * (always) and PostgreSQL (when reachable), run as a Bun subprocess.
 */
import { assertEquals } from "../assert.ts";
import { DatabaseSync } from "node:sqlite";
import { BUN, runCommand } from "../runtime/helpers.ts";
import { PG_URL, reachable } from "./database_helpers.ts";

const PG = await reachable(PG_URL, "PostgreSQL");

Deno.test("database source runs under Bun: SQLite and PostgreSQL with bound params", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-bun-db-" });
  try {
    const db = new DatabaseSync(`${dir}/q.db`);
    db.exec(
      "CREATE TABLE jobs (state TEXT); INSERT INTO jobs VALUES ('pending'), ('pending'), ('done');",
    );
    db.close();
    const pg = PG
      ? `[[custom_metrics.sources]]
name = "pg"
type = "database"
connection_string = "${PG_URL}"
queries = [{name = "n", sql = "SELECT $1::int + 1 WHERE now() > $2", params = [41, "1h_ago"]}]
`
      : "";
    await Deno.writeTextFile(
      `${dir}/sextant.toml`,
      `[[custom_metrics.sources]]
name = "lite"
type = "database"
connection_string = "sqlite:q.db"
queries = [{name = "pending", sql = "SELECT COUNT(*) FROM jobs WHERE state = $1", params = ["pending"]}]
${pg}`,
    );
    const r = await runCommand([
      BUN,
      "main.ts",
      "once",
      "-c",
      `${dir}/sextant.toml`,
      "--format",
      "json",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { samples: { name: string; value: number }[] };
    const values = Object.fromEntries(out.samples.map((s) => [s.name, s.value]));
    assertEquals(values, { "lite.pending": 2, ...(PG && { "pg.n": 42 }) });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
