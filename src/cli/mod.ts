/**
 * The command line: parses arguments and dispatches to the commands.
 * Thin: each command is a function of its flags and injected I/O.
 * @module
 */
import { parseArgs } from "node:util";
import { didYouMean } from "../config/mod.ts";
import { errorMessage, systemClock, VERSION } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { checkLogFlags, type GlobalFlags, sourceKinds } from "./context.ts";
import { type CliIO, EXIT } from "./io.ts";
import { migrateCommand } from "./migrate.ts";
import { ONCE_FORMATS, onceCommand } from "./once.ts";
import { pluginsCommand } from "./plugins.ts";
import { runCommand } from "./run.ts";
import { statusCommand } from "./status.ts";
import { configPrintCommand, validateCommand } from "./validate.ts";

export { type CliIO, EXIT } from "./io.ts";

const COMMANDS = ["run", "once", "status", "validate", "config", "plugins", "version", "help"];

/** The usage text of `sextant help`. */
export function helpText(): string {
  const kinds = sourceKinds.map((k) => `  ${k.type.padEnd(10)} ${k.description}`).join("\n");
  return `sextant ${VERSION}: a custom-metrics collector

Usage:
  sextant run      [-c FILE]...                     run the collector
  sextant once     [-c FILE]... [--format json|prom|table]
                                                    one collection cycle; exit 1 if a source failed
  sextant status   [-c FILE]... [--url URL] [--token T] [--format text|json]
                                                    a running instance's sources, breakers and bottlenecks
  sextant validate [-c FILE]...                     check the configuration; exit 1 on any error
  sextant config print [-c FILE]... [--resolved]    the effective configuration, secrets redacted
  sextant config migrate FILE... [--write] [--output FILE]
                                                    upgrade older configs (0.3 monitor files too);
                                                    prints a diff; --write keeps a .bak
  sextant plugins list  [DIR]...                     the plugins found (in DIR, or plugin_directories)
  sextant plugins check [DIR]...                    validate plugins; exit 1 if one is refused
  sextant version                                   print the version
  sextant help                                      this text

Options:
  -c, --config FILE     config file; repeat to compose several (later files override)
      --log-level LVL   debug, info, warn or error (also SEXTANT_LOG_LEVEL)
      --log-format FMT  text or json
      --debug           show stack traces of internal errors

Without -c, Sextant reads SEXTANT_CONFIG (comma-separated paths), then
config/sextant.toml, then falls back to an embedded default (host metrics).

Source types:
${kinds}

Exit codes: 0 success, 1 failure (invalid config, failed source, port in use),
2 bad command line, 70 internal error.`;
}

/**
 * Runs one command line and resolves with its exit code. Never throws.
 *
 * @example Validating a file in-process
 * ```ts
 * const code = await main(["validate", "-c", "config/sextant.toml"], io);
 * ```
 */
export async function main(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string", short: "c", multiple: true },
        format: { type: "string" },
        url: { type: "string" },
        token: { type: "string" },
        resolved: { type: "boolean" },
        write: { type: "boolean" },
        output: { type: "string", short: "o" },
        "log-level": { type: "string" },
        "log-format": { type: "string" },
        debug: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (err) {
    io.stderr(
      `sextant: ${errorMessage(err).replace(/\. To specify a positional argument.*$/, "")}`,
    );
    io.stderr(`Run "sextant help" for usage.`);
    return EXIT.USAGE;
  }
  const v = parsed.values;
  const flags: GlobalFlags = {
    config: v.config ?? [],
    logLevel: v["log-level"],
    logFormat: v["log-format"],
    debug: v.debug ?? false,
  };
  const [command = v.version ? "version" : "help", ...rest] = parsed.positionals;
  const usage = (msg: string) => {
    io.stderr(`sextant: ${msg}`);
    io.stderr(`Run "sextant help" for usage.`);
    return EXIT.USAGE;
  };
  if (v.help) {
    io.stdout(helpText());
    return EXIT.OK;
  }
  if (v.format !== undefined && command !== "once" && command !== "status") {
    return usage(`--format applies to "once" and "status" only`);
  }
  if ((v.url !== undefined || v.token !== undefined) && command !== "status") {
    return usage(`--url and --token apply to "status" only`);
  }
  if (v.resolved && command !== "config") return usage(`--resolved applies to "config print" only`);
  if ((v.write || v.output !== undefined) && !(command === "config" && rest[0] === "migrate")) {
    return usage(`--write and --output apply to "config migrate" only`);
  }
  const logProblem = checkLogFlags(flags, io);
  if (logProblem) return usage(logProblem);

  try {
    switch (command) {
      case "help":
        io.stdout(helpText());
        return EXIT.OK;
      case "version":
        io.stdout(`sextant ${VERSION} (${io.platform.name} ${io.platform.version})`);
        return EXIT.OK;
      case "run":
        if (rest.length) return usage(`unexpected argument ${JSON.stringify(rest[0])} for "run"`);
        return await runCommand(flags, io);
      case "once": {
        const format = v.format ?? "table";
        if (!(ONCE_FORMATS as readonly string[]).includes(format)) {
          return usage(
            `Cannot run once as '--format' must be one of ${
              ONCE_FORMATS.join(", ")
            }: current value is ${JSON.stringify(format)}`,
          );
        }
        if (rest.length) return usage(`unexpected argument ${JSON.stringify(rest[0])} for "once"`);
        return await onceCommand(flags, format, io);
      }
      case "status": {
        const format = v.format ?? "text";
        if (format !== "text" && format !== "json") {
          return usage(
            `Cannot show the status as '--format' must be text or json: current value is ${
              JSON.stringify(format)
            }`,
          );
        }
        if (rest.length) {
          return usage(`unexpected argument ${JSON.stringify(rest[0])} for "status"`);
        }
        return await statusCommand(flags, { url: v.url, token: v.token, format }, io);
      }
      case "validate":
        if (rest.length) {
          return usage(
            `unexpected argument ${JSON.stringify(rest[0])} for "validate" (use -c FILE)`,
          );
        }
        return await validateCommand(flags, io);
      case "config": {
        const sub = rest[0];
        if (sub === "print") return await configPrintCommand(flags, io);
        if (sub === "migrate") {
          if (rest.length < 2) return usage(`config migrate needs at least one FILE`);
          if (flags.config.length) return usage(`config migrate takes files as arguments, not -c`);
          return await migrateCommand(
            { files: rest.slice(1), write: v.write ?? false, output: v.output },
            io,
          );
        }
        const hint = sub ? didYouMean(sub, ["print", "migrate"]) : undefined;
        return usage(
          `unknown config command ${JSON.stringify(sub ?? "")}${
            hint ? ` (did you mean "${hint}"?)` : ""
          }; expected "print" or "migrate"`,
        );
      }
      case "plugins": {
        const sub = rest[0];
        if (sub === "list" || sub === "check") {
          return await pluginsCommand(sub, rest.slice(1), flags, io);
        }
        const hint = sub ? didYouMean(sub, ["list", "check"]) : undefined;
        return usage(
          `unknown plugins command ${JSON.stringify(sub ?? "")}${
            hint ? ` (did you mean "${hint}"?)` : ""
          }; expected "list" or "check"`,
        );
      }
      default: {
        const hint = didYouMean(command, COMMANDS);
        return usage(
          `unknown command ${JSON.stringify(command)}${hint ? ` (did you mean "${hint}"?)` : ""}`,
        );
      }
    }
  } catch (err) {
    io.stderr(`sextant: internal error: ${errorMessage(err)}`);
    if (flags.debug && err instanceof Error && err.stack) io.stderr(err.stack);
    else io.stderr("Run with --debug to see the stack trace, and please report it.");
    return EXIT.INTERNAL;
  }
}

/** The process entry: real platform, console output, exit with the code. */
export async function cliMain(): Promise<never> {
  const io: CliIO = {
    platform,
    clock: systemClock,
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  };
  const code = await main(platform.args(), io);
  return platform.exit(code);
}
