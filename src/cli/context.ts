/**
 * Shared steps of the commands: loading the config and reporting its
 * errors, and building the logger from flags, environment and config.
 * @module
 */
import { Agent, type AgentOptions, type Document, loadDocument } from "../agent/mod.ts";
import type { LoadResult } from "../config/mod.ts";
import { createLogger, LOG_LEVELS, type Logger, type LogLevel, Redactor } from "../core/mod.ts";
import { createPluginKind, pluginKind, PluginRegistry } from "../plugins/mod.ts";
import { selfExec } from "../runtime/mod.ts";
import type { SourceKind } from "../core/mod.ts";
import { builtinSourceKinds } from "../sources/mod.ts";
import { resolveConfigFiles } from "./config_files.ts";
import type { CliIO } from "./io.ts";

/** The built-in kinds and `plugin`, for validation and help. */
export const sourceKinds: readonly SourceKind[] = [
  ...builtinSourceKinds,
  pluginKind as unknown as SourceKind,
];

/** Flags every command understands. */
export interface GlobalFlags {
  config: string[];
  logLevel?: string;
  logFormat?: string;
  debug: boolean;
}

/** A loaded, valid configuration with what commands need around it. */
export interface Loaded {
  result: LoadResult<Document> & { config: Document };
  files: string[];
  redactor: Redactor;
}

/** Loads the config; prints every error (and warning) as `file:line:col: path: message`. */
export async function loadOrReport(
  flags: GlobalFlags,
  io: CliIO,
  opts: { quietWarnings?: boolean } = {},
): Promise<Loaded | undefined> {
  const files = await resolveConfigFiles(flags.config, io.platform);
  const result = await loadDocument(files, sourceKinds, io.platform);
  const redactor = new Redactor();
  // Values interpolated from the environment or files are secrets (unless declared public).
  for (const s of result.secrets) redactor.add(s);
  // The loader masks secret values in its messages itself.
  for (const e of result.errors) io.stderr(e.message);
  if (!opts.quietWarnings) {
    for (const w of result.warnings) io.stderr(`warning: ${w.message}`);
  }
  if (!result.ok || !result.config) {
    io.stderr(
      `${result.errors.length} error(s) in ${
        files.length ? files.join(", ") : "the embedded default config"
      }`,
    );
    return undefined;
  }
  return { result: result as Loaded["result"], files, redactor };
}

/** Validates `--log-level`/`SEXTANT_LOG_LEVEL`; returns an error message when bad. */
export function checkLogFlags(flags: GlobalFlags, io: CliIO): string | undefined {
  const level = (flags.logLevel ?? io.platform.env("SEXTANT_LOG_LEVEL"))?.toLowerCase();
  if (level !== undefined && !LOG_LEVELS.includes(level as LogLevel)) {
    const from = flags.logLevel !== undefined ? "--log-level" : "SEXTANT_LOG_LEVEL";
    return `Cannot start as '${from}' must be one of ${LOG_LEVELS.join(", ")}: current value is ${
      JSON.stringify(level)
    }`;
  }
  if (flags.logFormat !== undefined && !["text", "json"].includes(flags.logFormat)) {
    return `Cannot start as '--log-format' must be text or json: current value is ${
      JSON.stringify(flags.logFormat)
    }`;
  }
  return undefined;
}

/** Builds the root logger: flags override the environment, which overrides the config. */
export function buildLogger(
  flags: GlobalFlags,
  io: CliIO,
  doc: Document | undefined,
  redactor: Redactor,
): Logger {
  const log = doc?.custom_metrics.log;
  const level = (flags.logLevel ?? io.platform.env("SEXTANT_LOG_LEVEL") ?? log?.level ?? "info")
    .toLowerCase() as LogLevel;
  return createLogger({
    level,
    format: (flags.logFormat ?? log?.format ?? "text") as "text" | "json",
    components: log?.components,
    repeatWindow: log?.repeat_window,
    write: (line) => io.stderr(line),
    now: () => io.clock.now(),
    redactor,
  });
}

/** The kinds an agent runs with: the built-in ones and `plugin`, bound to the config's plugin directories. */
export function agentKinds(
  result: LoadResult<Document> & { config: Document },
  registry: PluginRegistry,
): SourceKind[] {
  const pluginKindHere = createPluginKind({
    directories: result.config.custom_metrics.plugin_directories,
    baseDir: result.baseDirOf(["custom_metrics", "plugin_directories"]),
    self: selfExec(),
    registry,
  });
  return [...builtinSourceKinds, pluginKindHere as unknown as SourceKind];
}

/** Builds the agent for a loaded configuration; `overrides` adjust it per command. */
export function newAgent(
  loaded: Loaded,
  io: CliIO,
  logger: Logger,
  overrides: Partial<AgentOptions> = {},
  plugins = new PluginRegistry(),
): Agent {
  const { result, files, redactor } = loaded;
  return new Agent({
    config: result.config,
    kinds: agentKinds(result, plugins),
    plugins,
    platform: io.platform,
    logger,
    clock: io.clock,
    redactor,
    files,
    baseDirOf: (i) => result.baseDirOf(["custom_metrics", "sources", i]),
    ...overrides,
  });
}
