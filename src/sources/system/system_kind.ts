/**
 * The `system` source kind: host and own-process facts (CPU, memory, load,
 * uptime) read through the platform, no outside tools.
 * @module
 */
import { z } from "zod";
import type { SourceKind } from "../../core/mod.ts";
import { SystemSource } from "./system_source.ts";

/** The groups of metrics the source can collect, in the order they are documented. */
export const SYSTEM_GROUPS = ["cpu", "memory", "load", "uptime", "process"] as const;

/** One group of system metrics. */
export type SystemGroup = typeof SYSTEM_GROUPS[number];

/** The `system` kind's own fields (merged with the common source fields by the agent). */
export const systemFields = {
  /** Groups to collect. @default {["cpu", "memory", "load", "uptime", "process"]} */
  collect: z.array(
    z.enum(SYSTEM_GROUPS, {
      error: () => `expected one of ${SYSTEM_GROUPS.map((g) => `"${g}"`).join(", ")}`,
    }),
  ).min(1, { message: "expected at least one group" }).default([...SYSTEM_GROUPS]),
};

/** The validated `system` fields. */
export type SystemFields = z.output<z.ZodObject<typeof systemFields>>;

/**
 * The `system` kind: CPU and memory use, load, uptime, and Sextant's own
 * process footprint.
 *
 * @example In a config
 * ```toml
 * [[custom_metrics.sources]]
 * name = "host"
 * type = "system"
 * collect = ["cpu", "memory"]
 * ```
 */
export const systemKind: SourceKind<SystemFields> = {
  type: "system",
  description: "Host CPU, memory, load and uptime, and Sextant's own process footprint",
  fields: systemFields,
  create(config, deps) {
    return new SystemSource(config, deps);
  },
};
