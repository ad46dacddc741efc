/**
 * A long-running child process with a line protocol on stdin/stdout: the
 * common part of module plugin hosts and exec daemons. Output lines are
 * capped; stderr keeps only its last lines; `kill` sends SIGTERM to the
 * process group, then SIGKILL after the grace, and waits for the exit, so
 * that nothing is left running or unreaped.
 * @module
 */
import type { ChildProcess, Clock, ExitStatus, Platform } from "../core/mod.ts";
import { readLines } from "./line_reader.ts";

/** Options of {@linkcode ChildChannel}. */
export interface ChildChannelOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  platform: Platform;
  clock: Clock;
  /** Longest stdout line, in bytes; a longer one kills the child. */
  maxLine: number;
  /** Why the child is killed for a longer line. @default {"printed a line longer than <maxLine> bytes"} */
  overflowMessage?: string;
  /** Milliseconds between SIGTERM and SIGKILL. */
  killGrace: number;
  onLine(line: string): void;
  /** Called once when the child ended, whoever ended it. */
  onExit(status: ExitStatus, why: string | undefined): void;
}

const STDERR_KEEP = 20;
/** Longest stderr line kept whole; a longer one is kept truncated. */
const STDERR_MAX_LINE = 64 * 1024;
const encoder = new TextEncoder();

/** A running child with a line protocol. */
export class ChildChannel {
  readonly child: ChildProcess;
  #o: ChildChannelOptions;
  #stderr: string[] = [];
  #why: string | undefined;
  #killing?: Promise<void>;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #exited = false;
  readonly exited: Promise<ExitStatus>;

  constructor(o: ChildChannelOptions) {
    this.#o = o;
    this.child = o.platform.spawn(o.argv, {
      cwd: o.cwd,
      env: o.env,
      stdin: "pipe",
      newProcessGroup: true,
    });
    this.#writer = this.child.stdin?.getWriter();
    readLines(this.child.stdout, {
      maxLine: o.maxLine,
      onLine: (l) => o.onLine(l),
      onOverflow: () =>
        void this.kill(o.overflowMessage ?? `printed a line longer than ${o.maxLine} bytes`),
    });
    // stderr is only kept for error messages: a line past the cap is kept
    // truncated and reading goes on, so the pipe is never closed under the
    // child (which would break its next write with EPIPE/SIGPIPE).
    const keep = (l: string) => {
      if (l.trim() === "") return;
      this.#stderr.push(l.length > 300 ? `${l.slice(0, 300)}...` : l);
      if (this.#stderr.length > STDERR_KEEP) this.#stderr.shift();
    };
    readLines(this.child.stderr, {
      maxLine: STDERR_MAX_LINE,
      onLine: keep,
      onLong: keep,
      onOverflow: () => {},
    });
    this.exited = this.child.exited.then((status) => {
      this.#exited = true;
      // Grandchildren left in the group die with it.
      this.child.kill("SIGKILL");
      this.#writer?.releaseLock();
      o.onExit(status, this.#why);
      return status;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.#exited;
  }

  /** The last lines the child wrote to stderr. */
  stderrTail(): string[] {
    return [...this.#stderr];
  }

  /** Writes to the child's stdin; false when it is gone. */
  async write(text: string): Promise<boolean> {
    if (this.#exited || !this.#writer) return false;
    try {
      await this.#writer.write(encoder.encode(text));
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the child: SIGTERM to its group, SIGKILL after the grace; resolves once it is reaped. */
  kill(why: string): Promise<void> {
    this.#why ??= why;
    return this.#killing ??= (async () => {
      if (this.#exited) return;
      this.child.kill("SIGTERM");
      let timer: unknown;
      const late = new Promise<void>((
        r,
      ) => (timer = this.#o.clock.setTimeout(r, this.#o.killGrace)));
      await Promise.race([this.exited, late]);
      this.#o.clock.clearTimeout(timer);
      this.child.kill("SIGKILL");
      await this.exited;
    })();
  }

  /** Closes stdin (a polite request to stop). */
  async closeStdin(): Promise<void> {
    try {
      await this.#writer?.close();
    } catch { /* already gone */ }
  }
}

/** "exited with code 3", "was killed by SIGKILL". */
export function describeExit(s: ExitStatus): string {
  if (s.error) return `could not start: ${s.error}`;
  if (s.signal) return `was killed by ${s.signal}`;
  return `exited with code ${s.code}`;
}
