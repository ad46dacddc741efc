/**
 * The test command (`deno task test`): runs the whole suite with coverage,
 * prints per-file line coverage of `src/`, fails under the 90% gate, and
 * ends with the line `N passed, N failed`.
 *
 * Usage: deno run -A scripts/run_tests.ts [--no-coverage] [deno test args...]
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import process from "node:process";

const GATE = 90;
/** Files that run only under Bun (covered by the Bun smoke tests, invisible to Deno's coverage). */
const NOT_MEASURED = [/src\/runtime\/bun\.ts$/];
/** Test support code that lives beside the code it tests: not part of the gate. */
const TEST_SUPPORT = [/\/testdata\//, /_test_helpers\.ts$/];

const args = process.argv.slice(2);
const coverage = !args.includes("--no-coverage");
const extra = args.filter((a) => a !== "--no-coverage");
const deno = process.execPath;
const covDir = ".coverage";

function run(cmd: string, argv: string[], tee: boolean): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let out = "";
    const onData = (stream: NodeJS.WriteStream) => (d: Uint8Array) => {
      out += new TextDecoder().decode(d);
      if (tee) stream.write(d);
    };
    child.stdout.on("data", onData(process.stdout));
    child.stderr.on("data", onData(process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

if (coverage) rmSync(covDir, { recursive: true, force: true });
const testArgs = [
  "test",
  "--allow-all",
  "--parallel",
  ...(coverage ? [`--coverage=${covDir}`, "--coverage-raw-data-only"] : []),
  ...extra,
];
const t = await run(deno, testArgs, true);

// "ok | 120 passed (3 steps) | 0 failed (12s)" or "FAILED | 118 passed | 2 failed": the last one is the run's.
const summaries = [
  ...t.out.matchAll(/^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/gm),
];
const m = summaries.at(-1);
const passed = m ? Number(m[1]) : 0;
let failed = m ? Number(m[2]) : 1;
if (!m) console.error("could not read the test summary: the test run did not finish");
if (t.code !== 0 && failed === 0) failed = 1;

let coverageOk = true;
if (coverage && m) {
  const lcov = `${covDir}/lcov.info`;
  const c = await run(deno, [
    "coverage",
    covDir,
    "--lcov",
    `--output=${lcov}`,
    `--include=^file://${process.cwd()}/src/`,
  ], false);
  if (c.code !== 0) {
    console.error(c.out);
    console.error("coverage report failed");
    coverageOk = false;
    failed += 1;
  } else {
    const files = parseLcov(readFileSync(lcov, "utf8")).filter((f) =>
      ![...NOT_MEASURED, ...TEST_SUPPORT].some((re) => re.test(f.file))
    );
    let hit = 0, found = 0;
    const rows: string[] = [];
    for (const f of files.sort((a, b) => a.file.localeCompare(b.file))) {
      hit += f.hit;
      found += f.found;
      const pct = f.found ? (100 * f.hit) / f.found : 100;
      rows.push(`${pct.toFixed(1).padStart(6)}%  ${f.file.replace(/^.*?\/src\//, "src/")}`);
    }
    const total = found ? (100 * hit) / found : 0;
    console.log("\nLine coverage of src/ (excluding Bun-only files):");
    for (const r of rows) console.log(r);
    console.log(`${total.toFixed(2).padStart(6)}%  TOTAL (${hit}/${found} lines; gate ${GATE}%)`);
    if (total < GATE) {
      console.error(`coverage ${total.toFixed(2)}% is under the ${GATE}% gate`);
      coverageOk = false;
      failed += 1;
    }
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && coverageOk && t.code === 0 ? 0 : 1);

function parseLcov(text: string): { file: string; hit: number; found: number }[] {
  const out: { file: string; hit: number; found: number }[] = [];
  let cur: { file: string; hit: number; found: number } | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("SF:")) cur = { file: line.slice(3), hit: 0, found: 0 };
    else if (line.startsWith("DA:") && cur) {
      cur.found++;
      if (Number(line.split(",")[1]) > 0) cur.hit++;
    } else if (line === "end_of_record" && cur) {
      out.push(cur);
      cur = undefined;
    }
  }
  return out;
}
