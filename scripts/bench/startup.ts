/**
 * Startup and idle-memory benchmark (`deno task bench`).
 *
 * For Deno, Bun and the Bun-compiled binary: time from spawn to the first
 * successful scrape of /metrics with the example config, and RSS after
 * 10 s idle; next to a bare HTTP server on the same runtime, measured in the
 * same run. Prints a Markdown table for docs/PERFORMANCE.md.
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import process from "node:process";

const ROOT = new URL("../../", import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const deno = process.execPath;
const bun = `${ROOT}node_modules/bun/bin/bun.exe`;
const tmp = mkdtempSync(`${os.tmpdir()}/sextant-bench-`);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) =>
    spawn(cmd, args, { stdio: "inherit" }).on("close", (c) => resolve(c ?? 1))
  );
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function measure(
  argv: string[],
  url: string,
  idle: boolean,
): Promise<{ ms: number; rss?: number }> {
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "ignore"], cwd: tmp });
  let ms = NaN;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.text();
      if (res.ok) {
        ms = performance.now() - t0;
        break;
      }
    } catch { /* not up yet */ }
    if (performance.now() - t0 > 30_000) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  let rss: number | undefined;
  if (idle) {
    await new Promise((r) => setTimeout(r, IDLE_MS));
    rss = rssMiB(child.pid!);
  }
  child.kill("SIGTERM");
  await new Promise((r) => child.on("close", r));
  return { ms, rss };
}

async function exampleConfig(): Promise<{ file: string; metrics: string }> {
  const prom = await freePort();
  const admin = await freePort();
  const text = readFileSync(`${ROOT}config/sextant.toml`, "utf8")
    .replaceAll("127.0.0.1:9464", `127.0.0.1:${prom}`)
    .replaceAll("127.0.0.1:9465", `127.0.0.1:${admin}`)
    .replace(`path = "example_metrics.prom"`, `path = "${ROOT}config/example_metrics.prom"`)
    .replace(`plugin_directories = ["./plugins"]`, "plugin_directories = []");
  const file = `${tmp}/sextant-${prom}.toml`;
  writeFileSync(file, text);
  return { file, metrics: `http://127.0.0.1:${prom}/metrics` };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.error("building the Bun binaries...");
if (
  await run(bun, ["build", "--compile", "--outfile", `${tmp}/sextant-bun`, `${ROOT}main.ts`]) !== 0
) process.exit(1);
if (
  await run(bun, [
    "build",
    "--compile",
    "--outfile",
    `${tmp}/bare-bun`,
    `${ROOT}scripts/bench/bare_server.ts`,
  ]) !== 0
) process.exit(1);

const variants: {
  name: string;
  bare: (port: number) => string[];
  sextant: (cfg: string) => string[];
}[] = [
  {
    name: "deno run",
    bare: (p) => [deno, "run", "-A", `${ROOT}scripts/bench/bare_server.ts`, String(p)],
    sextant: (c) => [deno, "run", "-A", `${ROOT}main.ts`, "run", "-c", c],
  },
  {
    name: "bun",
    bare: (p) => [bun, `${ROOT}scripts/bench/bare_server.ts`, String(p)],
    sextant: (c) => [bun, `${ROOT}main.ts`, "run", "-c", c],
  },
  {
    name: "bun binary",
    bare: (p) => [`${tmp}/bare-bun`, String(p)],
    sextant: (c) => [`${tmp}/sextant-bun`, "run", "-c", c],
  },
];

const rows: string[] = [];
for (const v of variants) {
  const bareMs: number[] = [], sexMs: number[] = [];
  let bareRss = NaN, sexRss = NaN;
  for (let i = 0; i < RUNS; i++) {
    const last = i === RUNS - 1;
    const port = await freePort();
    const b = await measure(v.bare(port), `http://127.0.0.1:${port}/`, last);
    bareMs.push(b.ms);
    if (b.rss) bareRss = b.rss;
    const cfg = await exampleConfig();
    const s = await measure(v.sextant(cfg.file), cfg.metrics, last);
    sexMs.push(s.ms);
    if (s.rss) sexRss = s.rss;
  }
  const bm = median(bareMs), sm = median(sexMs);
  console.error(
    `${v.name}: bare ${bm.toFixed(0)} ms / ${bareRss.toFixed(1)} MiB; sextant ${
      sm.toFixed(0)
    } ms / ${sexRss.toFixed(1)} MiB`,
  );
  rows.push(
    `| ${v.name} | ${bm.toFixed(0)} | ${sm.toFixed(0)} | ${(sm / bm).toFixed(2)}× | ${
      bareRss.toFixed(1)
    } | ${sexRss.toFixed(1)} | ${(sexRss / bareRss).toFixed(2)}× |`,
  );
}

console.log(
  `Runs per variant: ${RUNS} (median startup); RSS after ${IDLE_MS / 1000} s idle, last run.\n`,
);
console.log(
  "| runtime | bare server: first response (ms) | Sextant: first scrape (ms) | ratio | bare RSS (MiB) | Sextant RSS (MiB) | ratio |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(r);
