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
 * RSS at the end. Then the source alone against the raw loop in one process
 * (`--inproc`: alternating bursts, `process.cpuUsage()`), and the RSS of a
 * fresh process importing each big module alone, to show
 * what holds Sextant's RSS. Prints Markdown for docs/PERFORMANCE.md.
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
const deno = process.execPath;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sqlText = (i: number) =>
  `SELECT count(*) AS n FROM ${schema}.events WHERE created_at > now() - interval '1 hour' AND id % 50 <> ${i}`;

/** The raw baseline: one burst of the 50 queries (on schema `s`) over 2 postgres.js connections. */
function rawBurst(s: string): () => Promise<void> {
  const sql = postgres(PG_URL, { max: 2, onnotice: () => {} });
  return async () => {
    let next = 0;
    const worker = async () => {
      while (next < QUERIES) {
        const i = next++;
        await sql.unsafe(sqlText(i).replaceAll(schema, s), [], { prepare: true }).values();
      }
    };
    await Promise.all([worker(), worker()]);
  };
}

// --raw: the baseline loop, run as its own process.
if (process.argv.includes("--raw")) {
  const burst = rawBurst(process.argv[process.argv.indexOf("--raw") + 1]);
  setInterval(() => void burst(), 1000);
  await burst();
  await new Promise(() => {});
}

// --inproc: the source alone against the raw loop in one process, alternating bursts.
if (process.argv.includes("--inproc")) {
  const s = process.argv[process.argv.indexOf("--inproc") + 1];
  console.log(JSON.stringify(await inProcess(s)));
  process.exit(0);
}

/**
 * `DatabaseSource.collect` against the raw postgres.js loop in one process:
 * one burst of 50 queries of each, alternating, 250 ms apart, CPU from
 * `process.cpuUsage()` around each burst. No agent, no exporter: this is the
 * source's own cost. Medians and quartiles over the bursts after warm-up.
 */
async function inProcess(s: string) {
  const { databaseKind } = await import("../../src/sources/database/mod.ts");
  const { configFor, testDeps } = await import("../../tests/support/source_harness.ts");
  const text = (i: number) => sqlText(i).replaceAll(schema, s);
  const raw = rawBurst(s);
  const src = databaseKind.create(
    configFor(databaseKind, {
      connection_string: PG_URL,
      interval: "1s",
      max_concurrency: 2,
      pool: { size: 2 },
      queries: Array.from({ length: QUERIES }, (_, i) => ({ name: `q${i}`, sql: text(i) })),
    }),
    testDeps(),
  );
  await src.start(AbortSignal.timeout(5000));
  let errors = 0;
  const acc = { add() {}, addError: () => void errors++, fail: () => void errors++ };
  const run = new AbortController().signal;
  const perQuery = async (burst: () => Promise<void>) => {
    const c0 = process.cpuUsage();
    await burst();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / QUERIES;
  };
  const rounds = Number(process.env.BENCH_INPROC_ROUNDS ?? 60);
  const r: number[] = [], q: number[] = [];
  for (let k = 0; k < rounds + 5; k++) {
    const a = await perQuery(raw);
    await sleep(250);
    const b = await perQuery(() => src.collect(acc, run));
    await sleep(250);
    if (k >= 5) r.push(a), q.push(b);
  }
  await src.stop();
  if (errors > 0) throw new Error(`${errors} query errors in the in-process run`);
  const stats = (xs: number[]) => {
    const v = xs.slice().sort((x, y) => x - y);
    const at = (p: number) => Math.round(v[Math.floor(p * (v.length - 1))] * 1000) / 1000;
    return { median: at(0.5), p25: at(0.25), p75: at(0.75) };
  };
  return { rounds, raw: stats(r), source: stats(q) };
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

const tmp = mkdtempSync(`${os.tmpdir()}/sextant-dbbench-`);
const THIS = `${ROOT}scripts/bench/database.ts`;
/** Modules whose import cost (RSS) the bench reports, alone in a fresh process. */
const MODULES = [
  "-",
  "postgres",
  "zod",
  "@opentelemetry/sdk-metrics",
  "@opentelemetry/exporter-metrics-otlp-http",
  "./src/core/mod.ts",
  "./src/config/mod.ts",
  "./src/sources/database/mod.ts",
  "./src/sources/database/drivers/postgres.ts",
  "./src/sources/mod.ts",
  "./src/export/mod.ts",
  "./src/agent/mod.ts",
  "./src/cli/mod.ts",
  "mysql2",
  "mssql",
];

/** Runs a command to its end and returns its standard output. */
function output(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT });
    let out = "", err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    child.once(
      "close",
      (code) => code === 0 ? resolve(out.trim()) : reject(new Error(`${argv.join(" ")}: ${err}`)),
    );
  });
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
  // The source alone, in one process with the raw loop (no agent, no exporter).
  const inproc = JSON.parse(await output([deno, "run", "-A", THIS, "--inproc", schema]));
  console.log(
    `\nIn process, ${inproc.rounds} alternating bursts of ${QUERIES}: raw ${inproc.raw.median} ms/query (p25-p75 ${inproc.raw.p25}-${inproc.raw.p75}), source ${inproc.source.median} (${inproc.source.p25}-${inproc.source.p75}): ${
      (inproc.source.median / inproc.raw.median).toFixed(2)
    }× raw`,
  );
  // What holds RSS: a fresh process that imports one module alone (median of 3).
  console.log("\n| a fresh `deno run` importing | RSS MiB |\n| --- | ---: |");
  for (const spec of MODULES) {
    const rss: number[] = [];
    const probe = `${tmp}/probe.ts`;
    const url = spec.startsWith(".") ? new URL(spec, `file://${ROOT}`).href : spec;
    writeFileSync(
      probe,
      `${spec === "-" ? "" : `await import(${JSON.stringify(url)});`}
await new Promise((r) => setTimeout(r, 300));
console.log(/VmRSS:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))[1] / 1024);`,
    );
    for (let k = 0; k < 3; k++) {
      rss.push(
        Number(
          await output([deno, "run", "-A", "--no-check", "--config", `${ROOT}deno.json`, probe]),
        ),
      );
    }
    rss.sort((a, b) => a - b);
    console.log(`| ${spec === "-" ? "nothing" : `\`${spec}\``} | ${rss[1].toFixed(1)} |`);
  }
} finally {
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(tmp, { recursive: true, force: true });
}
