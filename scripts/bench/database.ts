/**
 * Database source benchmark: the same 50 queries per second against the
 * local PostgreSQL, one contender after another in one run, each as its own
 * process:
 *
 * - `sextant run` with a database source (50 queries, interval 1 s, pool 2);
 * - a raw postgres.js loop (the same 50 queries each second, 2 connections);
 * - `prometheus-sql-exporter` (Debian's package) with the same 50 queries;
 * - `sextant run` with 1 query per second, for its fixed cost (timers,
 *   self-metrics, export), from which the marginal CPU per query follows.
 *
 * For each: CPU ms per query (utime + stime from /proc over the measured
 * window, divided by the queries PostgreSQL counted on the bench table) and
 * RSS at the end. Prints a Markdown table for docs/PERFORMANCE.md.
 *
 * Usage: deno run -A scripts/bench/database.ts  (BENCH_SECONDS=15, BENCH_WARMUP=4)
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import postgres from "postgres";

const ROOT = new URL("../../", import.meta.url).pathname;
const PG_URL = process.env.SEXTANT_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const QUERIES = 50;
const EXPORTER = process.env.SQL_EXPORTER ?? "/usr/bin/prometheus-sql-exporter";
const TICK = 100; // USER_HZ on Linux
const schema = `sx_bench_${Date.now().toString(36)}`;
const tmp = mkdtempSync(`${os.tmpdir()}/sextant-dbbench-`);
const deno = process.execPath;

const sqlText = (i: number) =>
  `SELECT count(*) AS n FROM ${schema}.events WHERE created_at > now() - interval '1 hour' AND id % 50 <> ${i}`;

// --raw: the baseline loop, run as its own process.
if (process.argv.includes("--raw")) {
  const s = process.argv[process.argv.indexOf("--raw") + 1];
  const sql = postgres(PG_URL, { max: 2, onnotice: () => {} });
  const burst = async () => {
    let next = 0;
    const worker = async () => {
      while (next < QUERIES) {
        const i = next++;
        await sql.unsafe(sqlText(i).replaceAll(schema, s), [], { prepare: true }).values();
      }
    };
    await Promise.all([worker(), worker()]);
  };
  setInterval(() => void burst(), 1000);
  await burst();
  await new Promise(() => {});
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * (1000 / TICK);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });

/** Scans of the bench table as PostgreSQL counts them: one per query, whoever sent it. */
async function scans(): Promise<number> {
  const [r] = await admin.unsafe(
    `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'events'`,
    [schema],
  );
  return Number(r.n);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(name: string, argv: string[]): Promise<Record<string, string | number>> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], cwd: tmp });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  try {
    await sleep(WARMUP * 1000);
    if (child.exitCode !== null) throw new Error(`${name} exited: ${err}`);
    // Statistics reach pg_stat_* within about a second; both ends of the window lag alike.
    const c0 = cpuMs(child.pid!), q0 = await scans(), t0 = performance.now();
    await sleep(SECONDS * 1000);
    const c1 = cpuMs(child.pid!), q1 = await scans(), t1 = performance.now();
    const queries = q1 - q0;
    const secs = (t1 - t0) / 1000;
    return {
      name,
      queries,
      qps: Math.round((queries / secs) * 10) / 10,
      cpuMsPerQuery: Math.round(((c1 - c0) / queries) * 1000) / 1000,
      cpuPct: Math.round(((c1 - c0) / (t1 - t0)) * 1000) / 10,
      rssMiB: Math.round(rssMiB(child.pid!) * 10) / 10,
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("close", r));
  }
}

await admin.unsafe(`
  CREATE SCHEMA ${schema};
  CREATE TABLE ${schema}.events (id int PRIMARY KEY, created_at timestamptz);
  INSERT INTO ${schema}.events SELECT g, now() - (g || ' seconds')::interval FROM generate_series(1, 1000) g;
  ANALYZE ${schema}.events;
`);
try {
  const queries = Array.from({ length: QUERIES }, (_, i) => ({ name: `q${i}`, sql: sqlText(i) }));
  const sextantToml = (qs: typeof queries) =>
    `config_version = 4
[custom_metrics.agent]
jitter = 0
[custom_metrics.admin]
enabled = false
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"
[[custom_metrics.sources]]
name = "bench"
type = "database"
connection_string = "${PG_URL}"
interval = "1s"
max_concurrency = 2
pool = { size = 2 }
queries = [
${qs.map((q) => `  {name = "${q.name}", sql = "${q.sql}"},`).join("\n")}
]
`;
  writeFileSync(`${tmp}/sextant.toml`, sextantToml(queries));
  writeFileSync(`${tmp}/sextant1.toml`, sextantToml(queries.slice(0, 1)));
  const u = new URL(PG_URL);
  const dsn = `postgres://${u.username || "postgres"}@${u.host}${u.pathname}?sslmode=disable`;
  writeFileSync(
    `${tmp}/exporter.yml`,
    `jobs:
- name: bench
  interval: '1s'
  connections:
  - '${dsn}'
  queries:
${
      queries.map((q) =>
        `  - name: "${q.name}"\n    help: "bench"\n    labels: []\n    values: ["n"]\n    query: "${q.sql}"`
      ).join("\n")
    }
`,
  );
  const rows = [];
  rows.push(
    await measure("Sextant (Deno)", [
      deno,
      "run",
      "-A",
      `${ROOT}main.ts`,
      "run",
      "-c",
      `${tmp}/sextant.toml`,
    ]),
  );
  rows.push(
    await measure("raw postgres.js loop (Deno)", [
      deno,
      "run",
      "-A",
      `${ROOT}scripts/bench/database.ts`,
      "--raw",
      schema,
    ]),
  );
  rows.push(
    await measure("prometheus-sql-exporter (Go)", [
      EXPORTER,
      "-config.file",
      `${tmp}/exporter.yml`,
      "-web.listen-address",
      "127.0.0.1:0",
    ]),
  );
  const one = await measure("Sextant (Deno), 1 query/s", [
    deno,
    "run",
    "-A",
    `${ROOT}main.ts`,
    "run",
    "-c",
    `${tmp}/sextant1.toml`,
  ]);
  rows.push(one);
  const raw = rows[1].cpuMsPerQuery as number;
  const go = rows[2].cpuMsPerQuery as number;
  console.log(
    `\n${
      new Date().toISOString()
    } · ${os.cpus().length} cores · ${SECONDS} s measured after ${WARMUP} s warm-up\n`,
  );
  console.log(
    "| contender | queries | queries/s | CPU ms/query | vs raw | vs Go exporter | CPU % | RSS MiB |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const s50 = rows[0];
  const marginal = ((s50.cpuMsPerQuery as number) * (s50.queries as number) -
    (one.cpuMsPerQuery as number) * (one.queries as number)) /
    ((s50.queries as number) - (one.queries as number));
  for (const r of rows) {
    const c = r.cpuMsPerQuery as number;
    console.log(
      `| ${r.name} | ${r.queries} | ${r.qps} | ${c} | ${(c / raw).toFixed(2)}× | ${
        (c / go).toFixed(2)
      }× | ${r.cpuPct} | ${r.rssMiB} |`,
    );
  }
  console.log(
    `\nSextant's marginal CPU per query (50 q/s minus 1 q/s): ${marginal.toFixed(3)} ms, ${
      (marginal / raw).toFixed(2)
    }× raw, ${(marginal / go).toFixed(2)}× the Go exporter`,
  );
} finally {
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(tmp, { recursive: true, force: true });
}
