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
import { spawn as spawnNode } from "node:child_process";
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
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 15);
const ONLY_MODULE = Deno.env.get("BENCH_ONLY") === "module";
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

/** Per-operation microseconds of each op, per round; the ops take turns, batch by batch. */
async function interleaved<K extends string>(
  rounds: number,
  n: number,
  ops: Record<K, () => Promise<unknown>>,
): Promise<Record<K, number>[]> {
  const keys = Object.keys(ops) as K[];
  for (const k of keys) for (let i = 0; i < 100; i++) await ops[k](); // warm-up
  const out: Record<K, number>[] = [];
  for (let r = 0; r < rounds; r++) {
    const row = {} as Record<K, number>;
    // The order turns each round, so that no measure always follows the same one.
    for (const k of keys.map((_, i) => keys[(i + r) % keys.length])) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await ops[k]();
      row[k] = ((performance.now() - t0) * 1000) / n;
    }
    out.push(row);
  }
  return out;
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

// 1. Module plugins. The baselines and the host are timed in interleaved batches (A, B, C, A, B,
// C, ...), and each ratio is taken within one round, so that load from other processes on the
// shared cores hits every measure alike; the figure is the median over the rounds.
const bareWorkerUrl = URL.createObjectURL(
  new Blob([`self.onmessage = (e) => self.postMessage([{ name: "x", value: 1 }]);`], {
    type: "application/javascript",
  }),
);
const worker = new Worker(bareWorkerUrl, { type: "module" });
const bareWorkerOp = () =>
  new Promise((resolve) => {
    worker.onmessage = resolve;
    worker.postMessage(1);
  });

// The design's floor: the same two hops with nothing else, a minimal relay child (stdin read as a
// socket, blocking writes to stdout, no protocol, no checks) that posts each line to a Worker and
// prints the reply. "echo" answers from
// the child itself: a bare pipe round trip to a Deno process.
writeFileSync(
  `${tmp}/relay.ts`,
  String.raw`
const code = 'self.onmessage = (e) => self.postMessage({ id: e.data.id, samples: [{ name: "x", value: 1 }] });';
const w = new Worker(URL.createObjectURL(new Blob([code], { type: "application/javascript" })), { type: "module" });
const enc = new TextEncoder(), dec = new TextDecoder(), echo = Deno.args[0] === "echo";
const out = (s) => { const b = enc.encode(s + "\n"); let o = 0; while (o < b.length) o += Deno.stdout.writeSync(b.subarray(o)); };
w.onmessage = (e) => out(JSON.stringify(e.data));
import { Socket } from "node:net";
let s = "";
new Socket({ fd: 0, readable: true, writable: false }).on("data", (chunk) => {
  s += dec.decode(chunk, { stream: true });
  for (let i; (i = s.indexOf("\n")) >= 0;) {
    const line = s.slice(0, i);
    s = s.slice(i + 1);
    if (echo) out(line); else w.postMessage(JSON.parse(line));
  }
});
`,
);
function relay(mode: "relay" | "echo", detached = true) {
  // Detached like a plugin host (its own session and process group), so that both are scheduled
  // alike.
  const c = spawnNode(Deno.execPath(), ["run", "-A", `${tmp}/relay.ts`, mode], {
    stdio: ["pipe", "pipe", "inherit"],
    detached,
  });
  let buf = "";
  let waiter: (v: unknown) => void = () => {};
  let id = 0;
  c.stdout!.setEncoding("utf8");
  c.stdout!.on("data", (d: string) => {
    buf += d;
    for (let i; (i = buf.indexOf("\n")) >= 0;) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiter(JSON.parse(line));
    }
  });
  return {
    op: () =>
      new Promise((resolve) => {
        waiter = resolve;
        c.stdin!.write(JSON.stringify({ op: "collect", id: ++id }) + "\n");
      }),
    kill: () => c.kill("SIGKILL"),
  };
}
const bareRelay = relay("relay");
const bareEcho = relay("echo");
const bareEchoSameSession = relay("echo", false);

// Module plugin through its host process.
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
const moduleOps = {
  bareWorker: bareWorkerOp,
  pipe: bareEcho.op,
  pipeSameSession: bareEchoSameSession.op,
  floor: bareRelay.op,
  host: () => mod.collect(AbortSignal.timeout(5000)),
};
const rounds = await interleaved(ROUNDS, N_WORKER / 5, moduleOps);
const hostRss = rssOf(mod.pid!);
await mod.stop();
bareRelay.kill();
bareEcho.kill();
bareEchoSameSession.kill();
worker.terminate();
const m = (k: keyof typeof moduleOps) => median(rounds.map((x) => x[k]));
const ratio = (a: keyof typeof moduleOps, b: keyof typeof moduleOps) =>
  rounds.map((x) => x[a] / x[b]).sort((p, q) => p - q);
const bareWorker = m("bareWorker");
const modulePlugin = m("host");
const spread = (xs: number[]) =>
  `${median(xs).toFixed(2)}× (${xs[0].toFixed(2)}–${
    xs.at(-1)!.toFixed(2)
  }× over ${xs.length} rounds)`;
const moduleReport = `module plugins, per-op medians of ${ROUNDS} interleaved rounds of ${
  N_WORKER / 5
} ops:
  bare Worker round trip         ${m("bareWorker").toFixed(1)} µs
  bare pipe round trip (Deno)    ${m("pipe").toFixed(1)} µs (${
  m("pipeSameSession").toFixed(1)
} µs to a child in this session)
  floor: bare relay child+Worker ${m("floor").toFixed(1)} µs
  module plugin through its host ${m("host").toFixed(1)} µs
  host / bare Worker   ${spread(ratio("host", "bareWorker"))}
  floor / bare Worker  ${spread(ratio("floor", "bareWorker"))}
  host / floor         ${spread(ratio("host", "floor"))}
  pipe / bare Worker   ${spread(ratio("pipe", "bareWorker"))}
  pipe / same session  ${spread(ratio("pipe", "pipeSameSession"))}`;
console.log(moduleReport);
if (ONLY_MODULE) {
  Deno.removeSync(tmp, { recursive: true });
  Deno.exit(0);
}

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
| the design's floor (a bare relay child + Worker, no protocol) vs bare Worker round trip | ${
  f(m("floor"))
} µs | ${f(bareWorker)} µs | ${r(m("floor"), bareWorker)} | |
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
