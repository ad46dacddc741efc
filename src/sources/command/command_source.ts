/**
 * Runs the configured command once per collection in a scrubbed
 * environment and turns what it printed into samples.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import {
  type Accumulator,
  type Clock,
  CollectError,
  type CommonSourceConfig,
  errorMessage,
  type ExitStatus,
  limitLineErrors,
  type Logger,
  parseOutput,
  type Platform,
  type Redactor,
  type Source,
  type SourceDeps,
  TimeoutError,
} from "../../core/mod.ts";
import type { CommandFields } from "./command_kind.ts";
import { runCommand, type RunCommandResult } from "./run_command.ts";

const STDERR_LINE_MAX = 200;

/** A running `command` source. */
export class CommandSource implements Source {
  readonly type = "command";
  readonly name: string;
  #config: CommandFields & CommonSourceConfig;
  #argv: string[];
  #cwd: string;
  #platform: Platform;
  #clock: Clock;
  #log: Logger;
  #redactor: Redactor;
  #life = new AbortController();
  #running = new Set<Promise<unknown>>();

  constructor(config: CommandFields & CommonSourceConfig, deps: SourceDeps) {
    this.name = config.name;
    this.#config = config;
    this.#argv = typeof config.command === "string"
      ? ["/bin/sh", "-c", config.command]
      : [...config.command];
    this.#cwd = config.cwd === undefined
      ? deps.baseDir
      : isAbsolute(config.cwd)
      ? config.cwd
      : resolve(deps.baseDir, config.cwd);
    this.#platform = deps.platform;
    this.#clock = deps.clock;
    this.#log = deps.logger;
    this.#redactor = deps.redactor;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  async collect(acc: Accumulator, signal: AbortSignal): Promise<void> {
    const sig = AbortSignal.any([signal, this.#life.signal]);
    if (sig.aborted) return;
    const prefix = `command source ${JSON.stringify(this.name)}`;
    const error = (message: string, query?: string) =>
      new CollectError(this.name, `${prefix}: ${message}`, { query });
    const fail = (message: string, query?: string) => acc.addError(error(message, query), query);
    /** The collection failed as a whole (counts against the breaker). */
    const failAll = (message: string) => acc.fail(error(message));
    const dir = await this.#platform.stat(this.#cwd).catch(() => null);
    if (!dir?.isDirectory) {
      return failAll(`working directory ${JSON.stringify(this.#cwd)} does not exist`);
    }

    const c = this.#config;
    const run = runCommand(this.#platform, this.#argv, {
      cwd: this.#cwd,
      env: this.#environment(),
      maxOutput: c.max_output,
      killGrace: c.kill_grace,
      signal: sig,
      clock: this.#clock,
    });
    this.#running.add(run);
    let r: RunCommandResult;
    try {
      r = await run;
    } catch (err) {
      return failAll(
        `cannot run ${JSON.stringify(this.#argv[0])}: ${this.#redactor.redact(errorMessage(err))}`,
      );
    } finally {
      this.#running.delete(run);
    }
    const stderrLine = this.#firstLine(r.stderr);
    this.#log.debug("command finished", {
      pid: r.pid,
      code: r.exit.code,
      signal: r.exit.signal,
      ms: Math.round(r.durationMs),
      bytes: r.stdout.byteLength,
    });
    if (r.outputLeftOpen) {
      this.#log.debug(
        "a background process kept the output open after the command exited; stopped reading",
        { pid: r.pid },
      );
    }

    if (r.exit.error) {
      return failAll(`cannot run ${JSON.stringify(this.#argv[0])}: ${r.exit.error}`);
    }
    if (r.ended === "aborted") {
      const reason: unknown = sig.reason;
      const timedOut = reason instanceof TimeoutError ||
        (reason as Error | undefined)?.name === "TimeoutError";
      if (!timedOut) return failAll("the command was stopped before it finished");
      const ms = reason instanceof TimeoutError ? reason.timeoutMs : c.timeout;
      return acc.fail(new TimeoutError(`${prefix}: the command`, ms, { cause: reason }));
    }
    if (r.ended === "overflow") {
      return failAll(
        `the command printed more than max_output (${c.max_output} bytes); it was stopped and its output dropped`,
      );
    }
    const failed = r.exit.code !== 0;
    if (failed) {
      // With parse_on_failure the output is still data: the exit is one item error, and the
      // collection fails only when it printed no sample either.
      (c.parse_on_failure ? fail : failAll)(
        `the command ${describeExit(r.exit)}${stderrLine ? `: ${JSON.stringify(stderrLine)}` : ""}`,
      );
    } else if (stderrLine) this.#log.debug("command wrote to stderr", { stderr: stderrLine });
    if (failed && !c.parse_on_failure) return;

    const text = new TextDecoder().decode(r.stdout);
    const parsed = parseOutput(text, c.format, { name: c.metric });
    for (const s of parsed.samples) acc.add(s);
    const { shown, moreLines } = limitLineErrors(parsed.errors);
    for (const e of shown) {
      fail(
        `${parsed.format} output line ${e.line}: ${this.#redactor.redact(e.message)}`,
        `line ${e.line}`,
      );
    }
    if (moreLines > 0) {
      fail(`${parsed.format} output: ... and ${moreLines} more invalid lines`, "more lines");
    }
  }

  /** The child's environment: the allowed variables of ours, then the configured ones. */
  #environment(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of this.#config.pass_env) {
      const v = this.#platform.env(name);
      if (v !== undefined) env[name] = v;
    }
    return { ...env, ...this.#config.env };
  }

  /** The first non-empty line of stderr, cut and redacted, for a message. */
  #firstLine(bytes: Uint8Array): string {
    const line =
      new TextDecoder().decode(bytes).split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
    const cut = line.length > STDERR_LINE_MAX ? `${line.slice(0, STDERR_LINE_MAX)}...` : line;
    return this.#redactor.redact(cut);
  }

  /** Ends a command in flight (SIGTERM, then SIGKILL after the grace) and waits for it. Safe to call twice. */
  async stop(): Promise<void> {
    this.#life.abort(new Error("source stopped"));
    await Promise.allSettled([...this.#running]);
  }
}

function describeExit(exit: ExitStatus): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}
