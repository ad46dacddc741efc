/**
 * Exec and python plugins: an executable run once per collection, or kept
 * running as a daemon that is asked for each collection with a newline on
 * stdin and ends its answer with an empty line. Python plugins are daemons
 * run through the host script in `python_host.ts`.
 * @module
 */
import type { Clock, ExitStatus, Platform } from "../core/mod.ts";
import { runCommand } from "../sources/command/mod.ts";
import { type Backend, type CollectOutcome, parsePluginOutput } from "./backend.ts";
import { ChildChannel, describeExit } from "./child_channel.ts";

/** Options shared by the exec backends. */
export interface ExecOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  format: "auto" | "json" | "prometheus";
  /** Bytes of output per collection. */
  maxOutput: number;
  killGrace: number;
  platform: Platform;
  clock: Clock;
  /** Called when a daemon ends on its own (not through `stop`). */
  onExit?(why: string): void;
  /** Extra words for an exit that may be the memory limit's doing ("" when not). */
  memoryHint?(status: ExitStatus, stderr: string): string;
  /** Lines the daemon wrote to stderr, for the log. */
  onStderr?(lines: string[]): void;
}

/** Runs the executable once per collection. */
export class OnceBackend implements Backend {
  #o: ExecOptions;
  #running = new Set<Promise<unknown>>();
  #life = new AbortController();
  constructor(o: ExecOptions) {
    this.#o = o;
  }
  get pid(): undefined {
    return undefined;
  }
  get alive(): boolean {
    return true;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  async collect(signal: AbortSignal): Promise<CollectOutcome> {
    const o = this.#o;
    const run = runCommand(o.platform, o.argv, {
      cwd: o.cwd,
      env: o.env,
      maxOutput: o.maxOutput,
      killGrace: o.killGrace,
      signal: AbortSignal.any([signal, this.#life.signal]),
      clock: o.clock,
    });
    this.#running.add(run);
    const r = await run.finally(() => this.#running.delete(run));
    const stderr = new TextDecoder().decode(r.stderr).split("\n").map((l) => l.trim())
      .find((l) => l !== "")?.slice(0, 200);
    if (r.exit.error) {
      return { samples: [], errors: [], failed: `cannot run the plugin: ${r.exit.error}` };
    }
    if (r.ended === "aborted") {
      return {
        samples: [],
        errors: [],
        failed: `the plugin did not finish in time and was killed`,
      };
    }
    if (r.ended === "overflow") {
      return {
        samples: [],
        errors: [],
        failed:
          `the plugin printed more than ${o.maxOutput} bytes; it was killed and its output dropped`,
      };
    }
    const out: CollectOutcome = parsePluginOutput(new TextDecoder().decode(r.stdout), o.format);
    if (r.exit.code !== 0) {
      // A crash or a failure exit fails the collection as a whole (the breaker counts it); what
      // it printed before is kept as diagnostics.
      const hint = o.memoryHint?.(r.exit, new TextDecoder().decode(r.stderr)) ?? "";
      out.failed = `the plugin ${describeExit(r.exit)}${
        stderr ? `: ${JSON.stringify(stderr)}` : ""
      }${hint}`;
    }
    return out;
  }
  async stop(): Promise<void> {
    this.#life.abort();
    await Promise.allSettled([...this.#running]);
  }
}

/** Keeps the executable running and asks it for each collection. */
export class DaemonBackend implements Backend {
  #o: ExecOptions;
  #ch?: ChildChannel;
  #lines: string[] = [];
  #bytes = 0;
  #waiting?: (fatal?: string) => void;
  #lastError?: string;
  #stopping = false;

  constructor(o: ExecOptions) {
    this.#o = o;
  }
  get pid(): number | undefined {
    return this.#ch?.pid;
  }
  get alive(): boolean {
    return this.#ch?.alive ?? false;
  }

  start(): Promise<void> {
    const o = this.#o;
    this.#ch = new ChildChannel({
      argv: o.argv,
      env: o.env,
      cwd: o.cwd,
      platform: o.platform,
      clock: o.clock,
      maxLine: o.maxOutput,
      killGrace: o.killGrace,
      onLine: (line) => this.#onLine(line),
      onExit: (status, why) => {
        const tail = this.#ch?.stderrTail() ?? [];
        const reason = why ??
          `the daemon ${describeExit(status)}${
            this.#lastError
              ? `: ${this.#lastError}`
              : tail.length
              ? `: ${JSON.stringify(tail.at(-1))}`
              : ""
          }${o.memoryHint?.(status, tail.join("\n")) ?? ""}`;
        if (tail.length) o.onStderr?.(tail);
        this.#waiting?.(reason);
        if (!this.#stopping) o.onExit?.(reason);
      },
    });
    return Promise.resolve();
  }

  #onLine(line: string): void {
    if (!this.#waiting) {
      // Unasked output: keep only an error report for the exit message.
      const m = /^\{"sextant_error":/.test(line) ? safeError(line) : undefined;
      if (m) this.#lastError = m;
      return;
    }
    if (line.trim() === "") return this.#waiting();
    this.#bytes += line.length + 1;
    if (this.#bytes > this.#o.maxOutput) {
      void this.#ch?.kill(`printed more than ${this.#o.maxOutput} bytes for one collection`);
      return;
    }
    this.#lines.push(line);
  }

  async collect(signal: AbortSignal): Promise<CollectOutcome> {
    const ch = this.#ch;
    if (!ch?.alive) return { samples: [], errors: [], fatal: "the daemon is not running" };
    this.#lines = [];
    this.#bytes = 0;
    const answered = new Promise<string | undefined>((resolve) => (this.#waiting = resolve));
    const onAbort = () =>
      void ch.kill(`did not answer within the timeout`).then(() =>
        this.#waiting?.("did not answer within the timeout")
      );
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      if (!(await ch.write("\n"))) {
        return { samples: [], errors: [], fatal: "the daemon's stdin is closed" };
      }
      const fatal = await answered;
      if (fatal) return { samples: [], errors: [], fatal };
    } finally {
      this.#waiting = undefined;
      signal.removeEventListener("abort", onAbort);
    }
    const errors: string[] = [];
    const lines = this.#lines.filter((l) => {
      const e = /^\{"sextant_error":/.test(l) ? safeError(l) : undefined;
      if (e) errors.push(e);
      return e === undefined;
    });
    const out = parsePluginOutput(lines.join("\n"), this.#o.format);
    out.errors.unshift(...errors);
    return out;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const ch = this.#ch;
    if (!ch?.alive) return;
    await ch.closeStdin();
    await ch.kill("stopped");
  }
}

function safeError(line: string): string | undefined {
  try {
    const v = JSON.parse(line).sextant_error;
    return typeof v === "string" ? v.slice(0, 500) : undefined;
  } catch {
    return undefined;
  }
}
