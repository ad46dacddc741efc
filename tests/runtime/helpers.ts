/**
 * Helpers for tests that run Sextant as a subprocess: under Deno, under
 * Bun, as a compiled binary, or from a URL.
 * @module
 */
import { assert, assertEquals, waitFor } from "../assert.ts";
import { PROMTOOL, promtoolCheck as runPromtool } from "../support/promtool.ts";

export const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
export const DENO = Deno.execPath();
export const BUN = `${ROOT}/node_modules/bun/bin/bun.exe`;
export const SMOKE_CONFIG = `${ROOT}/tests/testdata/smoke.toml`;

/** Runs a command to completion with a deadline. */
export async function runCommand(
  argv: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cmd = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: opts.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...opts.env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
  });
  const out = await cmd.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A collector started with `run`, with the URLs it logged. */
export interface Running {
  child: Deno.ChildProcess;
  metricsUrl: string;
  adminUrl: string;
  stderr(): string;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code and the time it took. */
  terminate(signal?: Deno.Signal): Promise<{ code: number; ms: number }>;
}

/** Starts `argv` (ending in `run ...`) and waits until both listeners are logged. */
export async function startCollector(
  argv: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Running> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: opts.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      err += value;
    }
  })();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => (exited = s));
  try {
    await waitFor(
      () => {
        if (exited) throw new Error(`collector exited with ${exited.code}:\n${err}`);
        return /exporter listening .*url=http:\/\/\S+\/metrics/.test(err) &&
          /admin API listening url=/.test(err);
      },
      "the collector to listen",
      60_000,
    );
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await pump;
    throw e;
  }
  const metricsUrl = /exporter listening .*url=(http:\/\/\S+\/metrics)/.exec(err)![1];
  const adminUrl = /admin API listening url=(http:\/\/\S+?)\/?(\s|$)/.exec(err)![1];
  return {
    child,
    metricsUrl,
    adminUrl,
    stderr: () => err,
    async terminate(signal: Deno.Signal = "SIGTERM") {
      const t0 = performance.now();
      child.kill(signal);
      const s = await child.status;
      await pump;
      return { code: s.code, ms: performance.now() - t0 };
    },
  };
}

/** Runs `promtool check metrics` on a body; fails under CI when promtool is missing. */
export async function promtoolCheck(
  body: string,
): Promise<{ ok: boolean; output: string } | undefined> {
  if (!PROMTOOL) {
    if (Deno.env.get("CI") === "true") {
      throw new Error("promtool is not installed (apt-get install prometheus)");
    }
    console.warn("skipping promtool check: promtool is not installed (apt-get install prometheus)");
    return undefined;
  }
  const r = await runPromtool(body);
  return {
    ok: r.code === 0 && r.output.replace(/^.*SUCCESS.*$/m, "").trim() === "",
    output: r.output,
  };
}

/** Scrapes, checks with promtool, checks /status, and stops the collector gracefully. */
export async function exerciseRunning(r: Running, signal: Deno.Signal = "SIGTERM"): Promise<void> {
  const body = await waitFor(
    async () => {
      const res = await fetch(r.metricsUrl);
      const text = await res.text();
      return res.ok && text.includes("smoke_cmd_answer") && text.includes("host_memory_limit")
        ? text
        : undefined;
    },
    "metrics from both sources",
    20_000,
  );
  assert(/^smoke_cmd_answer(\{[^}]*\})? 42$/m.test(body), `smoke_cmd_answer 42 missing:\n${body}`);
  const check = await promtoolCheck(body);
  if (check) assert(check.ok, `promtool check metrics failed:\n${check.output}\n${body}`);
  const status = await (await fetch(`${r.adminUrl}/status`)).json();
  assertEquals(status.ready, true);
  assertEquals(status.sources.map((s: { name: string }) => s.name).sort(), ["host", "smoke_cmd"]);
  const health = await fetch(`${r.adminUrl}/healthz`);
  assertEquals([health.status, await health.text()], [200, "ok\n"]);
  const { code, ms } = await r.terminate(signal);
  assertEquals(code, 0, r.stderr());
  assert(ms < 5000, `shutdown took ${ms} ms`);
  assert(!/\n\s+at /.test(r.stderr()), `stack trace in the log:\n${r.stderr()}`);
}
