/**
 * The `process` source kind: per process group (processes whose name or
 * command line matches a pattern), the count, CPU, memory, threads, open
 * file descriptors, disk I/O and context switches, read from `/proc`.
 * @module
 */
import { z } from "zod";
import type { SourceKind } from "../../core/mod.ts";
import { ProcessSource } from "./process_source.ts";

/** The groups of metrics the source can collect, in the order they are documented. */
export const PROCESS_GROUPS = [
  "cpu",
  "memory",
  "threads",
  "fds",
  "io",
  "context_switches",
] as const;

/** One group of process metrics. */
export type ProcessGroup = typeof PROCESS_GROUPS[number];

const zPattern = z.string().min(1).superRefine((p, ctx) => {
  try {
    new RegExp(p, "i");
  } catch (err) {
    ctx.addIssue({
      code: "custom",
      message: `expected a regular expression: ${(err as Error).message.split("\n")[0]}`,
    });
  }
});

/** The `process` kind's own fields. */
export const processFields = {
  /**
   * Regular expressions, matched case-insensitively against each process's
   * name (`/proc/PID/comm`) and its command line; any match selects it.
   */
  patterns: z.array(zPattern).min(1, { message: "expected at least one pattern" }),
  /** Groups to collect. @default {all groups} */
  collect: z.array(
    z.enum(PROCESS_GROUPS, {
      error: () => `expected one of ${PROCESS_GROUPS.map((g) => `"${g}"`).join(", ")}`,
    }),
  ).min(1, { message: "expected at least one group" }).default([...PROCESS_GROUPS]),
  /** Root of the proc file system (tests and containers). @default {"/proc"} */
  proc_root: z.string().min(1).default("/proc"),
};

/** The validated `process` fields. */
export type ProcessFields = z.output<z.ZodObject<typeof processFields>>;

/**
 * The `process` kind.
 *
 * @example In a config
 * ```toml
 * [[custom_metrics.sources]]
 * name = "nginx"
 * type = "process"
 * patterns = ["^nginx"]
 * ```
 */
export const processKind: SourceKind<ProcessFields> = {
  type: "process",
  description:
    "Per process group: count, CPU, RSS, threads, fds, disk I/O, context switches (/proc)",
  fields: processFields,
  create(config, deps) {
    return new ProcessSource(config, deps);
  },
};
