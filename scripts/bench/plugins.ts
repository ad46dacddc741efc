/**
 * Plugin overhead benchmark: `deno run -A scripts/bench/plugins.ts`.
 *
 * Each figure is a ratio against a baseline measured in the same run:
 * - a `module` plugin's collection through its host process against a bare
 *   Worker round trip in this process;
 * - an `exec` plugin in `once` mode against a bare spawn of the same script;
 * - an `exec` daemon's collection against a bare pipe round trip to the
 *   same script;
 * - the RSS of a plugin host against an idle `deno run` of an empty script.
 * Prints a Markdown table for docs/PERFORMANCE.md.
 * @module
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { createLogger, systemClock } from "../../src/core/mod.ts";
import {
  DaemonBackend,
  ModuleBackend,
  NO_PERMISSIONS,
  OnceBackend,
  WorkerBackend,
} from "../../src/plugins/mod.ts";
import { platform, selfExec } from "../../src/runtime/mod.ts";

const N_WORKER = Number(Deno.env.get("BENCH_N") ?? 2000);
const N_SPAWN = Number(Deno.env.get("BENCH_SPAWN_N") ?? 100);
const tmp = mkdtempSync(`${os.tmpdir()}/sextant-bench-plugins-`);
const logger = createLogger({ level: "error", write: () => {} });
const self = { ...selfExec(), mainModule: new URL("../../main.ts", import.meta.url).href };

writeFileSync(`${tmp}/mod.ts`, `export default { collect: () => [{ name: "x", value: 1 }] };`);
writeFileSync(`${tmp}/once.sh`, `#!/bin/sh\necho '{"name":"x","value":1}'\n`, { mode: 0o755 });
writeFileSync(
  `${tmp}/daemon.sh`,
  `#!/bin/sh\nwhile read -r _; do echo '{"name":"x","value":1}'; echo; done\n`,
  { mode: 0o755 },
);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Per-operation microseconds, median of 5 batches. */
async function time(n: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(50, n); i++) await op(); // warm-up
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n / 5; i++) await op();
    batches.push(((performance.now() - t0) * 1000) / (n / 5));
  }
  return median(batches);
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

// 1. Bare Worker round trip (the baseline of module plugins).
const worker = new Worker(
  URL.createObjectURL(
    new Blob([`self.onmessage = (e) => self.postMessage([{ name: "x", value: 1 }]);`], {
      type: "application/javascript",
    }),
  ),
  { type: "module" },
);
const bareWorker = await time(N_WORKER, () =>
  new Promise((resolve) => {
    worker.onmessage = resolve;
    worker.postMessage(1);
  }));
worker.terminate();

// 2. Module plugin through its host process.
const mod = new ModuleBackend({
  name: "bench",
  entryPath: `${tmp}/mod.ts`,
  pluginDir: tmp,
  permissions: NO_PERMISSIONS,
  options: {},
  memoryMb: 128,
  killGrace: 1000,
  heartbeat: 0,
  maxLine: 1 << 20,
  self,
  env: { HOME: Deno.env.get("HOME") ?? "/root", PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1" },
  platform,
  clock: systemClock,
  logger,
});
const t0 = performance.now();
await mod.start(AbortSignal.timeout(20_000));
const hostStartMs = performance.now() - t0;
const modulePlugin = await time(N_WORKER, () => mod.collect(AbortSignal.timeout(5000)));
const hostRss = rssOf(mod.pid!);
await mod.stop();

// 2b. The opt-in in-process mode (isolation = "worker").
const inproc = new WorkerBackend({
  name: "bench",
  entryPath: `${tmp}/mod.ts`,
  pluginDir: tmp,
  permissions: NO_PERMISSIONS,
  options: {},
  killGrace: 1000,
  clock: systemClock,
  logger,
});
await inproc.start(AbortSignal.timeout(20_000));
const workerMode = await time(N_WORKER, () => inproc.collect(AbortSignal.timeout(5000)));
await inproc.stop();

// 3. Idle deno baseline for RSS.
writeFileSync(`${tmp}/idle.ts`, `await new Promise((r) => setTimeout(r, 60_000));`);
const idle = platform.spawn([Deno.execPath(), "run", `${tmp}/idle.ts`], {});
await new Promise((r) => setTimeout(r, 1500));
const idleRss = rssOf(idle.pid!);
idle.kill("SIGKILL");
await idle.exited;

// 4. Exec once vs a bare spawn of the same script.
const bareSpawn = await time(N_SPAWN, async () => {
  const c = platform.spawn([`${tmp}/once.sh`], { env: { PATH: "/usr/bin:/bin" } });
  await new Response(c.stdout).text();
  await c.exited;
});
const execOpts = {
  env: { PATH: "/usr/bin:/bin" },
  cwd: tmp,
  format: "json" as const,
  maxOutput: 1 << 20,
  killGrace: 1000,
  platform,
  clock: systemClock,
};
const once = new OnceBackend({ ...execOpts, argv: [`${tmp}/once.sh`] });
const onceMode = await time(N_SPAWN, () => once.collect(AbortSignal.timeout(5000)));

// 5. Daemon vs a bare pipe round trip to the same script.
const bare = platform.spawn([`${tmp}/daemon.sh`], {
  env: { PATH: "/usr/bin:/bin" },
  stdin: "pipe",
});
const w = bare.stdin!.getWriter();
const reader = bare.stdout.getReader();
const nl = new TextEncoder().encode("\n");
let pending = "";
const pipe = await time(N_WORKER / 2, async () => {
  await w.write(nl);
  while (!pending.includes("\n\n")) {
    const { value } = await reader.read();
    pending += new TextDecoder().decode(value);
  }
  pending = pending.slice(pending.indexOf("\n\n") + 2);
});
bare.kill("SIGKILL");
const daemon = new DaemonBackend({ ...execOpts, argv: [`${tmp}/daemon.sh`] });
await daemon.start();
const daemonMode = await time(N_WORKER / 2, () => daemon.collect(AbortSignal.timeout(5000)));
await daemon.stop();

const f = (x: number) => x.toFixed(1);
const r = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
console.log(`| measure | Sextant | baseline (same run) | ratio | goal |
| --- | --- | --- | --- | --- |
| module plugin collection (host process + sandboxed Worker) vs bare Worker round trip | ${
  f(modulePlugin)
} µs | ${f(bareWorker)} µs | ${r(modulePlugin, bareWorker)} | ≤ 2× |
| module plugin, opt-in \`isolation = "worker"\` (in-process Worker) vs bare Worker round trip | ${
  f(workerMode)
} µs | ${f(bareWorker)} µs | ${r(workerMode, bareWorker)} | ≤ 2× |
| exec daemon collection vs bare pipe round trip | ${f(daemonMode)} µs | ${f(pipe)} µs | ${
  r(daemonMode, pipe)
} | ≤ 2× |
| exec once collection vs bare spawn | ${f(onceMode / 1000)} ms | ${f(bareSpawn / 1000)} ms | ${
  r(onceMode, bareSpawn)
} | |
| RSS of one plugin host vs idle \`deno run\` | ${f(hostRss)} MiB | ${f(idleRss)} MiB | ${
  r(hostRss, idleRss)
} | |
| plugin host start (spawn to ready) | ${f(hostStartMs)} ms | | | |`);
Deno.removeSync(tmp, { recursive: true });
