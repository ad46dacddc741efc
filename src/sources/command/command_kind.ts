/**
 * The `command` source kind: its config schema, cross-field checks, secrets
 * and factory. The collection lives in `command_source.ts`.
 * @module
 */
import { z } from "zod";
import { isValidMetricName, OUTPUT_FORMATS, type SourceKind } from "../../core/mod.ts";
import { isSecretKey, zDuration } from "../../config/mod.ts";
import { CommandSource } from "./command_source.ts";

/** Variables passed through from Sextant's environment unless `pass_env` says otherwise. */
export const DEFAULT_PASS_ENV: readonly string[] = ["PATH", "HOME", "LANG", "TZ"];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The `command` kind's own fields (merged with the common source fields by the agent). */
export const commandFields = {
  /** An argv array (no shell), or a string run by `/bin/sh -c` when `shell = true`. */
  command: z.union([
    z.string().min(1, { message: "expected a command" }),
    z.array(z.string()).min(1, { message: "expected at least the program to run" })
      .refine((argv) => argv[0] !== "", {
        message: "expected the program to run first, found an empty string",
      }),
  ]),
  /** @default {false} */
  shell: z.boolean().default(false),
  /** @default {"auto"} */
  format: z.enum(OUTPUT_FORMATS).default("auto"),
  /** Name of the sample a bare number becomes. @default {"value"} */
  metric: z.string().refine(isValidMetricName, {
    message: "expected a metric name: a letter, then letters, digits, '_', '.', '-' or '/'",
  }).default("value"),
  /** Working directory, relative to the config file's directory (the default). */
  cwd: z.string().min(1).optional(),
  /** Variables set in the child's (otherwise scrubbed) environment. */
  env: z.record(z.string().regex(ENV_NAME, { message: "expected a variable name" }), z.string())
    .default({}),
  /** Variables passed through from Sextant's environment. @default {["PATH", "HOME", "LANG", "TZ"]} */
  pass_env: z.array(z.string().regex(ENV_NAME, { message: "expected a variable name" })).default([
    ...DEFAULT_PASS_ENV,
  ]),
  /** Bytes of stdout read at most; more stops the command. @default {1048576} */
  max_output: z.number().int().min(1).default(1_048_576),
  /** Time between SIGTERM and SIGKILL on timeout. @default {2000} (ms) */
  kill_grace: zDuration().default(2000),
  /** Also parse the output of a command that exited non-zero. @default {false} */
  parse_on_failure: z.boolean().default(false),
};

/** The validated `command` fields. */
export type CommandFields = z.output<z.ZodObject<typeof commandFields>>;

/**
 * The `command` kind: runs a program each interval and parses what it prints
 * (a number, JSON lines or Prometheus text).
 *
 * @example In a config
 * ```toml
 * [[custom_metrics.sources]]
 * name = "spool"
 * type = "command"
 * command = ["sh", "-c", "ls /var/spool/outgoing | wc -l"]
 * format = "number"
 * metric = "files"
 * ```
 */
export const commandKind: SourceKind<CommandFields> = {
  type: "command",
  description:
    "Runs a program (no shell unless asked) and parses its output: a number, JSON lines or Prometheus text",
  fields: commandFields,
  check(config) {
    if (typeof config.command === "string" && !config.shell) {
      return [{
        path: ["command"],
        message:
          `a string command needs shell = true (it runs with /bin/sh -c); or give an argv array like ["df", "-k"]`,
      }];
    }
    if (Array.isArray(config.command) && config.shell) {
      return [{ path: ["shell"], message: "shell = true needs command as a string, not an array" }];
    }
    return [];
  },
  secrets(config) {
    return Object.entries(config.env).filter(([k, v]) => isSecretKey(k) && v !== "").map((
      [, v],
    ) => v);
  },
  create(config, deps) {
    return new CommandSource(config, deps);
  },
};
