/**
 * The built-in `command` source: runs a program each interval in a scrubbed
 * environment, under hard limits, and parses what it prints.
 * @module
 */
export {
  type CommandFields,
  commandFields,
  commandKind,
  DEFAULT_PASS_ENV,
} from "./command_kind.ts";
export { runCommand, type RunCommandOptions, type RunCommandResult } from "./run_command.ts";
