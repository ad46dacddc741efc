/**
 * Hot reload benchmark: 100 reloads in a row, each triggered by writing an
 * included file, on a real agent with five unchanged sources collecting every
 * 100 ms. Measures the time from the write to the new configuration being
 * active, and the missed or late collections of the unchanged sources.
 *
 * Baselines in the same process: the same watch and 200 ms debounce with no
 * reload behind it (the floor of change-to-active), and the same agent
 * running as long without reloads (the scheduler's own missed/late count).
 *
 * Usage: deno run -A scripts/bench/reload.ts  (or: bun scripts/bench/reload.ts)
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import { z } from "zod";
import { Agent, loadDocument, Reloader } from "../../src/agent/mod.ts";
import { watchConfig } from "../../src/config/mod.ts";
import {
  type Accumulator,
  createLogger,
  Redactor,
  type SourceKind,
  systemClock,
} from "../../src/core/mod.ts";
import { platform } from "../../src/runtime/mod.ts";
import { builtinSourceKinds } from "../../src/sources/mod.ts";

const RELOADS = Number(process.env.BENCH_RELOADS ?? 100);
const INTERVAL = 100;
const STEADY = 5;

/** Every collection's time, by source name; instances created, by name. */
const ticks = new Map<string, number[]>();
const created = new Map<string, number>();
const tickKind = {
  type: "tick",
  description: "records collection times",
  fields: { value: z.number().default(0) },
  create(config: { name: string; value: number }) {
    created.set(config.name, (created.get(config.name) ?? 0) + 1);
    return {
      name: config.name,
      type: "tick",
      start: () => Promise.resolve(),
      collect(acc: Accumulator) {
        const list = ticks.get(config.name) ?? [];
        list.push(performance.now());
        ticks.set(config.name, list);
        acc.add({ name: "value", value: config.value });
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    };
  },
} as unknown as SourceKind;
const kinds = [...builtinSourceKinds, tickKind];

const dir = mkdtempSync(`${os.tmpdir()}/sextant-reload-bench-`);
mkdirSync(`${dir}/conf.d`);
const main = `${dir}/main.toml`;
const changing = `${dir}/conf.d/changing.toml`;
const steadyNames = Array.from({ length: STEADY }, (_, i) => `steady${i + 1}`);
writeFileSync(
  main,
  `include = ["conf.d/*.toml"]
[custom_metrics.agent]
jitter = 0
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"
` +
    steadyNames.map((n) =>
      `[[custom_metrics.sources]]\nname = "${n}"\ntype = "tick"\ninterval = "${INTERVAL}ms"\n`
    ).join(""),
);
const changingText = (v: number) =>
  `[[custom_metrics.sources]]\nname = "changing"\ntype = "tick"\nvalue = ${v}\ninterval = "1s"\n`;
writeFileSync(changing, changingText(0));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("timed out");
    await sleep(1);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
const max = (xs: number[]) => Math.max(...xs);

/** Missed and late collections of the steady sources between `from` and `to`. */
function schedule(from: number, to: number): { expected: number; missed: number; late: number } {
  let expected = 0;
  let missed = 0;
  let late = 0;
  for (const n of steadyNames) {
    const t = ticks.get(n)!.filter((x) => x >= from && x <= to);
    const e = Math.floor((to - from) / INTERVAL);
    expected += e;
    missed += Math.max(0, e - t.length);
    for (let i = 1; i < t.length; i++) if (t[i] - t[i - 1] > INTERVAL * 1.5) late++;
  }
  return { expected, missed, late };
}

// Baseline 1: the watch and debounce alone.
const floor: number[] = [];
{
  let fired = 0;
  const w = watchConfig({
    platform,
    clock: systemClock,
    paths: { files: [changing], dirs: [] },
    onChange: () => fired++,
  });
  for (let i = 0; i < Math.min(RELOADS, 30); i++) {
    const before = fired;
    writeFileSync(changing, changingText(0));
    const t0 = performance.now();
    await until(() => fired > before);
    floor.push(performance.now() - t0);
    await sleep(20);
  }
  w.close();
}

const redactor = new Redactor();
const logger = createLogger({
  level: "warn",
  write: (l) => process.stderr.write(l + "\n"),
  redactor,
});
const load = () => loadDocument([main], kinds, platform);
const first = await load();
if (!first.ok) throw new Error(first.errors.map((e) => e.message).join("\n"));
const agent = new Agent({
  config: first.config!,
  kinds,
  platform,
  logger,
  clock: systemClock,
  redactor,
  baseDirOf: (i) => first.baseDirOf(["custom_metrics", "sources", i]),
});
const reloader = new Reloader({
  agent,
  initial: first.config!,
  load,
  logger,
  clock: systemClock,
  redactor,
});
await agent.start();
const watch = watchConfig({
  platform,
  clock: systemClock,
  paths: first.watch,
  onChange: () => void reloader.reload("file"),
});

// Baseline 2: the agent without reloads, as long as the reload phase will roughly take.
await sleep(500);
const quietFrom = performance.now();
await sleep(RELOADS * 330);
const quiet = schedule(quietFrom, performance.now());

const active: number[] = [];
const work: number[] = [];
const loudFrom = performance.now();
for (let i = 1; i <= RELOADS; i++) {
  const done = agent.status().config.reloads.success;
  writeFileSync(changing, changingText(i));
  const t0 = performance.now();
  await until(() => agent.status().config.reloads.success > done);
  active.push(performance.now() - t0);
  work.push(agent.status().config.last_reload!.duration_ms);
  await sleep(50 + Math.floor(Math.random() * 50));
}
const loud = schedule(loudFrom, performance.now());
const failures = agent.status().config.reloads.failure;
const sameRunners = steadyNames.every((n) => created.get(n) === 1);
watch.close();
await agent.stop();
rmSync(dir, { recursive: true, force: true });

const f = (x: number) => x.toFixed(1);
console.log(
  `runtime: ${platform.name} ${platform.version}; ${RELOADS} reloads; ${STEADY} unchanged sources every ${INTERVAL} ms`,
);
console.log("");
console.log("| measure | median | p95 | max |");
console.log("| --- | ---: | ---: | ---: |");
console.log(
  `| baseline: file write → debounced watch callback (ms) | ${f(median(floor))} | ${
    f(p95(floor))
  } | ${f(max(floor))} |`,
);
console.log(
  `| file write → new config active (ms) | ${f(median(active))} | ${f(p95(active))} | ${
    f(max(active))
  } |`,
);
console.log(
  `| ratio active / baseline | ${(median(active) / median(floor)).toFixed(2)}× | ${
    (p95(active) / p95(floor)).toFixed(2)
  }× | |`,
);
console.log(
  `| reload work: load + validate + apply (ms) | ${f(median(work))} | ${f(p95(work))} | ${
    f(max(work))
  } |`,
);
console.log("");
console.log("| phase | expected collections | missed | late (gap > 1.5 × interval) |");
console.log("| --- | ---: | ---: | ---: |");
console.log(`| baseline: no reloads | ${quiet.expected} | ${quiet.missed} | ${quiet.late} |`);
console.log(`| ${RELOADS} reloads | ${loud.expected} | ${loud.missed} | ${loud.late} |`);
console.log("");
console.log(`reload failures: ${failures}; unchanged sources kept their runner: ${sameRunners}`);
process.exit(0);
