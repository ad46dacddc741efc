/**
 * Runs one command to completion with hard limits: output caps, and on abort
 * SIGTERM to its whole process group, SIGKILL after a grace period, and
 * always a wait for its exit, so that nothing is left running or unreaped.
 * Shared by the `command` source and usable by exec plugins.
 * @module
 */
import type { Clock, ExitStatus, Platform } from "../../core/mod.ts";

/** Options of {@linkcode runCommand}. */
export interface RunCommandOptions {
  /** Working directory of the child. */
  cwd?: string;
  /** The child's complete environment. */
  env: Record<string, string>;
  /** Bytes of stdout kept; more ends the command (`ended: "overflow"`). */
  maxOutput: number;
  /** Bytes of stderr kept; the rest is read and dropped. @default {65536} */
  maxStderr?: number;
  /** Milliseconds between SIGTERM and SIGKILL. */
  killGrace: number;
  /**
   * Milliseconds the output may stay open after the child exited (a
   * background process that inherited it); reading stops then.
   * @default {200}
   */
  drainMs?: number;
  /** Aborting ends the command (`ended: "aborted"`). */
  signal: AbortSignal;
  clock: Clock;
}

/** How a run went. */
export interface RunCommandResult {
  pid?: number;
  exit: ExitStatus;
  stdout: Uint8Array;
  /** The first `maxStderr` bytes of stderr. */
  stderr: Uint8Array;
  /** Set when Sextant ended the command: its signal aborted, or stdout passed `maxOutput`. */
  ended?: "aborted" | "overflow";
  /**
   * Set when stdout or stderr was still open `drainMs` after the child
   * exited: a process outside the group (`setsid`, a daemon) holds it, and
   * the output may be incomplete.
   */
  outputLeftOpen?: boolean;
  durationMs: number;
}

/**
 * Runs `argv` as the leader of a new process group and waits for the group
 * to finish with it. Never rejects for the child's failures: a command that
 * cannot start has `exit.error` set.
 *
 * When it returns, the leader has exited and been reaped, and the group has
 * been sent SIGKILL, so that a grandchild left in the background does not
 * outlive the collection. The wait is bounded even when a process that left
 * the group (`setsid`) keeps the output pipes open: after the child exits,
 * reading goes on for at most `drainMs`; after an abort, for at most
 * `killGrace`.
 *
 * @example Running `df`
 * ```ts
 * const r = await runCommand(platform, ["df", "-k"], {
 *   env: { PATH: "/usr/bin:/bin" }, maxOutput: 1 << 20, killGrace: 2000,
 *   signal: AbortSignal.timeout(5000), clock: systemClock,
 * });
 * ```
 */
export async function runCommand(
  platform: Platform,
  argv: string[],
  options: RunCommandOptions,
): Promise<RunCommandResult> {
  const t0 = performance.now();
  const { signal, clock } = options;
  const drainMs = options.drainMs ?? 200;
  const child = platform.spawn(argv, {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    newProcessGroup: true,
  });
  let ended: RunCommandResult["ended"];
  let terminating: Promise<void> | undefined;
  const stdout = readCapped(
    child.stdout,
    options.maxOutput,
    true,
    () => void terminate("overflow"),
  );
  const stderr = readCapped(child.stderr, options.maxStderr ?? 65_536, false);
  const outputs = Promise.all([stdout.bytes, stderr.bytes]);
  const stopReading = () => {
    stdout.cancel();
    stderr.cancel();
  };

  /** Resolves when `p` settles or after `ms`, whichever comes first; true when `p` won. */
  async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: unknown;
    const late = new Promise<false>((
      resolve,
    ) => (timer = clock.setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([p.then(() => true), late]);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  function terminate(why: "aborted" | "overflow"): Promise<void> {
    ended ??= why;
    return terminating ??= (async () => {
      child.kill("SIGTERM");
      await within(Promise.all([child.exited, outputs]), options.killGrace);
      child.kill("SIGKILL");
      // A process that left the group may hold the pipes forever; its output is not wanted.
      stopReading();
    })();
  }

  const onAbort = () => void terminate("aborted");
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  try {
    const exit = await child.exited;
    let drained = true;
    if (!terminating) {
      drained = await within(outputs, drainMs);
      if (!drained) stopReading();
    }
    await terminating;
    // Stragglers that closed their output but kept running die with the collection.
    if (!terminating) child.kill("SIGKILL");
    const [out, err] = await outputs;
    return {
      pid: child.pid,
      exit,
      stdout: out,
      stderr: err,
      ended,
      ...(!drained && !ended && { outputLeftOpen: true }),
      durationMs: performance.now() - t0,
    };
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Reads a stream, keeping at most `max` bytes. Past the cap it either stops
 * (cancels the stream and calls `onOverflow`) or keeps reading and drops.
 * `cancel` stops reading early; `bytes` then holds what was read so far.
 */
function readCapped(
  stream: ReadableStream<Uint8Array>,
  max: number,
  stopAtCap: boolean,
  onOverflow?: () => void,
): { bytes: Promise<Uint8Array>; cancel: () => void } {
  const reader = stream.getReader();
  let finished = false;
  const cancel = () => {
    if (finished) return;
    finished = true;
    // Resolves a pending read() with done, which ends the loop below.
    reader.cancel().catch(() => {});
  };
  const bytes = (async () => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (size + value.byteLength <= max) {
          chunks.push(value);
          size += value.byteLength;
          continue;
        }
        if (stopAtCap) {
          onOverflow?.();
          cancel();
          break;
        }
        if (size < max) {
          chunks.push(value.subarray(0, max - size));
          size = max;
        }
      }
    } catch {
      // A stream that errors ends like one that closed; the exit status tells what happened.
    } finally {
      finished = true;
      reader.releaseLock();
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  })();
  return { bytes, cancel };
}
