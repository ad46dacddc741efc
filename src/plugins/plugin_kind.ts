/**
 * The `plugin` source kind: `type = "plugin"`, `plugin = "<name>"`, its
 * options, and what the operator allows it.
 * @module
 */
import { z } from "zod";
import { didYouMean, isSecretKey, zDuration } from "../config/mod.ts";
import type { Platform, SourceKind } from "../core/mod.ts";
import { selfExec } from "../runtime/mod.ts";
import { discoverPlugins, type Discovery } from "./discovery.ts";
import { checkOptions } from "./manifest.ts";
import { type PluginEnvironment, PluginSource } from "./plugin_source.ts";

const grant = z.union([z.boolean(), z.array(z.string().min(1))]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The `plugin` kind's own fields. */
export const pluginFields = {
  /** The plugin's name (from its `plugin.toml`). */
  plugin: z.string().min(1),
  /** Options passed to the plugin, checked against its manifest's `[options]`. */
  options: z.record(z.string(), z.unknown()).default({}),
  /** What the operator allows; the plugin gets the intersection with its manifest. Keys left out keep the manifest's request. */
  permissions: z.strictObject({
    net: grant.optional(),
    read: grant.optional(),
    env: grant.optional(),
    write: grant.optional(),
    run: grant.optional(),
    sys: grant.optional(),
  }).optional(),
  /**
   * Module plugins: `process` (a supervised host process, the default) or `worker` (a Worker of
   * the collector: faster, but a busy or memory-hungry plugin can hang or kill Sextant on Deno;
   * needs `trusted = true`). @default {"process"}
   */
  isolation: z.enum(["process", "worker"]).default("process"),
  /** Run without a sandbox where none can be enforced (module plugins on Bun). @default {false} */
  trusted: z.boolean().default(false),
  /** Variables set for exec and python plugins. */
  env: z.record(z.string().regex(ENV_NAME, { message: "expected a variable name" }), z.string())
    .default({}),
  /**
   * MiB: V8 heap of a module plugin's host (default 256); data segment (prlimit `--data`,
   * RLIMIT_DATA) of an exec or python plugin (default 1024, enough for runtimes such as Deno or
   * the JVM that reserve large regions at start). 0 turns the limit off.
   */
  memory_limit: z.number().int().refine((v) => v === 0 || v >= 16, {
    message: "expected 0 (no limit) or at least 16 (MiB)",
  }).optional(),
  /** Bytes a plugin may print for one collection (and the longest protocol line). @default {1048576} */
  max_output: z.number().int().min(1024).default(1_048_576),
  /** Time between SIGTERM and SIGKILL. @default {2000} (ms) */
  kill_grace: zDuration().default(2000),
  /** How often a module plugin's host must answer a ping; 0 disables. @default {5000} (ms) */
  heartbeat: zDuration({ min: 0 }).default(5000),
  /** First delay before a restart; doubles per failure. @default {1000} (ms) */
  restart_backoff: zDuration({ min: 1 }).default(1000),
  /** Longest delay before a restart. @default {300000} (ms) */
  restart_backoff_max: zDuration({ min: 1 }).default(300_000),
  /** Failures in a row before the plugin is quarantined; 0 never quarantines. @default {10} */
  max_restarts: z.number().int().min(0).default(10),
  /** Reload when the plugin's files change. @default {true} */
  watch: z.boolean().default(true),
};

/** The validated `plugin` fields. */
export type PluginFields = z.output<z.ZodObject<typeof pluginFields>>;

/** A problem found by the kind's checks; `warning` ones do not make the config invalid. */
interface KindIssue {
  path: (string | number)[];
  message: string;
  severity?: "error" | "warning";
}

/** The `plugin` kind, plus the step that finds the plugins its checks need. */
export type PluginKind = SourceKind<PluginFields> & {
  /**
   * Finds the plugins in the document's `plugin_directories` (once per
   * load) and returns the kind whose `check()` knows them, with one warning
   * per unusable directory (`index` into `plugin_directories`).
   */
  prepareChecks(env: {
    directories: readonly string[];
    baseDir: string;
    platform: Platform;
  }): Promise<{ kind: SourceKind<PluginFields>; warnings: Discovery["warnings"] }>;
};

/**
 * Builds the `plugin` kind for a set of plugin directories. With `found`
 * (from `prepareChecks`), its `check()` also refuses a plugin that cannot be
 * found and options that do not match the plugin's manifest.
 *
 * @example
 * ```ts
 * const kind = createPluginKind({ directories: ["./plugins"], baseDir: cwd, self: selfExec() });
 * ```
 */
export function createPluginKind(ctx?: PluginEnvironment, found?: Discovery): PluginKind {
  return {
    type: "plugin",
    description:
      "Runs a plugin from plugin_directories: a sandboxed TypeScript module, an executable or a Python module",
    fields: pluginFields,
    check(config) {
      if (config.isolation === "worker" && !config.trusted) {
        return [{
          path: ["isolation"],
          message:
            `isolation = "worker" runs the plugin inside the collector, where a hang or memory exhaustion cannot be contained; it needs trusted = true`,
        }];
      }
      if (config.restart_backoff > config.restart_backoff_max) {
        return [{
          path: ["restart_backoff"],
          message:
            `restart_backoff (${config.restart_backoff} ms) must not exceed restart_backoff_max (${config.restart_backoff_max} ms)`,
        }];
      }
      return found ? checkAgainst(found, config) : [];
    },
    async prepareChecks({ directories, baseDir, platform }) {
      const d = await discoverPlugins(directories, platform, baseDir);
      return { kind: createPluginKind(ctx, d), warnings: d.warnings };
    },
    secrets(config) {
      const out = Object.entries(config.env).filter(([k, v]) => isSecretKey(k) && v !== "")
        .map(([, v]) => v);
      for (const [k, v] of Object.entries(config.options)) {
        if (isSecretKey(k) && typeof v === "string" && v !== "") out.push(v);
      }
      return out;
    },
    create(config, deps) {
      return new PluginSource(
        config,
        deps,
        ctx ?? {
          directories: [],
          baseDir: deps.baseDir,
          self: selfExec(),
        },
      );
    },
  };
}

/** The kind for validation (plugins are found when a source is created with a context). */
export const pluginKind: PluginKind = createPluginKind();

/** The checks that need the plugins: the plugin exists, and the options match its manifest. */
function checkAgainst(found: Discovery, config: PluginFields): KindIssue[] {
  const named = found.plugins.filter((p) => p.name === config.plugin);
  const info = named.find((p) => p.manifest) ?? named[0];
  if (!info) {
    const names = [...new Set(found.plugins.map((p) => p.name))];
    const hint = didYouMean(config.plugin, names);
    return [{
      path: ["plugin"],
      message: `no plugin ${JSON.stringify(config.plugin)} in plugin_directories${
        hint
          ? ` (did you mean ${JSON.stringify(hint)}?)`
          : names.length
          ? ` (found: ${names.join(", ")})`
          : found.plugins.length === 0 && found.warnings.length === 0
          ? " (none found)"
          : ""
      }`,
    }];
  }
  const issues: KindIssue[] = [];
  if (info.problems.length) {
    // The plugin's files may be fixed while Sextant runs (they are watched): a warning.
    issues.push({
      path: ["plugin"],
      message: `plugin ${JSON.stringify(config.plugin)} is refused until its files are fixed: ${
        info.problems.join("; ")
      }`,
      severity: "warning",
    });
  }
  if (info.manifest) {
    for (const i of checkOptions(info.manifest, config.options).issues) {
      issues.push({ path: ["options", i.key], message: i.message });
    }
  }
  return issues;
}
