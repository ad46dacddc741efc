/**
 * RSS of `sextant run` after it has settled, for two configs:
 *
 * - `default`: the embedded default config (one `system` source, the default
 *   exporter, Prometheus, and the admin API), with both listeners on port 0 so
 *   that runs never clash with another process;
 * - `database`: one `database` source with one query against the local
 *   PostgreSQL every second, a Prometheus exporter, admin API off.
 *
 * Each config runs 3 times per checkout; the table gives the median `VmRSS`
 * after `--settle` seconds (default 6). With `--before <dir>` (another
 * checkout, e.g. `git archive` of an older commit) the two checkouts take
 * turns, so both see the same machine load.
 *
 * Usage: deno run -A scripts/bench/run_rss.ts [--before DIR] [--settle 6]
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ROOT = new URL("../../", import.meta.url).pathname;
const BEFORE = arg("--before", "");
const SETTLE = Number(arg("--settle", "6"));
const PG_URL = process.env.SEXTANT_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const tmp = mkdtempSync(`${os.tmpdir()}/sextant-rss-`);

const CONFIGS: Record<string, string> = {
  default: `config_version = 4
[custom_metrics.admin]
listen = "127.0.0.1:0"
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"
[[custom_metrics.sources]]
name = "host"
type = "system"
interval = "15s"
`,
  database: `config_version = 4
[custom_metrics.admin]
enabled = false
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"
[[custom_metrics.sources]]
name = "db"
type = "database"
connection_string = "${PG_URL}"
interval = "1s"
queries = [{ name = "one", sql = "SELECT 1" }]
`,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rssOf(root: string, config: string): Promise<number> {
  const file = `${tmp}/${config}.toml`;
  writeFileSync(file, CONFIGS[config]);
  const child = spawn(process.execPath, ["run", "-A", `${root}/main.ts`, "run", "-c", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  try {
    await sleep(SETTLE * 1000);
    if (child.exitCode !== null) throw new Error(`sextant exited early: ${err}`);
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((r) => child.once("close", r));
      child.kill("SIGTERM");
      await closed;
    }
  }
}

const roots: [string, string][] = [["this", ROOT.replace(/\/$/, "")]];
if (BEFORE) roots.push(["before", BEFORE.replace(/\/$/, "")]);
const rss = new Map<string, number[]>();
try {
  for (let k = 0; k < 3; k++) {
    for (const config of Object.keys(CONFIGS)) {
      for (const [label, root] of k % 2 === 0 ? roots : [...roots].reverse()) {
        const key = `${config} · ${label}`;
        rss.set(key, [...(rss.get(key) ?? []), await rssOf(root, config)]);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`\n${new Date().toISOString()} · VmRSS after ${SETTLE} s, median of 3\n`);
console.log("| config · checkout | RSS MiB (median) | runs |\n| --- | ---: | --- |");
for (const [key, xs] of rss) {
  const sorted = [...xs].sort((a, b) => a - b);
  console.log(`| ${key} | ${sorted[1].toFixed(1)} | ${xs.map((x) => x.toFixed(1)).join(", ")} |`);
}
