/**
 * What the CLI needs from its surroundings, injected so that tests run
 * commands in-process and read what they print.
 * @module
 */
import type { Clock, Platform } from "../core/mod.ts";

/** Exit codes, documented in the README. */
export const EXIT = {
  OK: 0,
  /** Invalid config, a failed source in `once`, a listener that cannot bind. */
  FAILURE: 1,
  /** Bad command line. */
  USAGE: 2,
  /** An unexpected internal error (a bug): run with `--debug` for the stack. */
  INTERNAL: 70,
} as const;

/** The CLI's surroundings. */
export interface CliIO {
  platform: Platform;
  clock: Clock;
  /** Writes one line (without its newline) to standard output. */
  stdout(line: string): void;
  /** Writes one line (without its newline) to standard error. */
  stderr(line: string): void;
  /** When given, aborting it stops `run` as SIGTERM would. */
  stop?: AbortSignal;
}
