/**
 * Finds plugins: every sub-directory with a `plugin.toml` in each of the
 * configured plugin directories. A missing directory is a warning.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { errorMessage, type Platform } from "../core/mod.ts";
import { loadManifest, MANIFEST_FILE, type PluginInfo } from "./manifest.ts";

/** What discovery found. */
export interface Discovery {
  plugins: PluginInfo[];
  /** Directories that are missing, not directories or unreadable, one line each. */
  warnings: DiscoveryWarning[];
}

/** A directory discovery could not use. */
export interface DiscoveryWarning {
  /** Its index in the directories given. */
  index: number;
  message: string;
}

/**
 * Scans `dirs` (relative ones against `baseDir`). A directory that itself
 * holds a `plugin.toml` counts as one plugin. When two plugins share a name,
 * the first directory wins and the second is refused.
 *
 * @example
 * ```ts
 * const { plugins, warnings } = await discoverPlugins(["./plugins"], platform, cwd);
 * ```
 */
export async function discoverPlugins(
  dirs: readonly string[],
  platform: Platform,
  baseDir: string,
): Promise<Discovery> {
  const out: Discovery = { plugins: [], warnings: [] };
  for (const [index, d] of dirs.entries()) {
    const dir = isAbsolute(d) ? d : resolve(baseDir, d);
    const st = await platform.stat(dir).catch(() => null);
    if (!st?.isDirectory) {
      out.warnings.push({
        index,
        message: `plugin directory ${JSON.stringify(dir)} ${
          st ? "is not a directory" : "does not exist"
        }`,
      });
      continue;
    }
    if ((await platform.stat(resolve(dir, MANIFEST_FILE)).catch(() => null))?.isFile) {
      out.plugins.push(await loadManifest(dir, platform));
      continue;
    }
    let entries;
    try {
      entries = await platform.readDir(dir);
    } catch (err) {
      out.warnings.push({
        index,
        message: `plugin directory ${JSON.stringify(dir)} cannot be read: ${errorMessage(err)}`,
      });
      continue;
    }
    for (const e of entries) {
      if (!e.isDirectory && !e.isSymlink) continue;
      const sub = resolve(dir, e.name);
      if (!(await platform.stat(resolve(sub, MANIFEST_FILE)).catch(() => null))?.isFile) continue;
      out.plugins.push(await loadManifest(sub, platform));
    }
  }
  const seen = new Map<string, string>();
  for (const p of out.plugins) {
    const first = seen.get(p.name);
    if (first !== undefined) {
      p.problems.push(
        `${p.dir}: name: plugin ${JSON.stringify(p.name)} is already provided by ${first}`,
      );
    } else if (p.manifest) seen.set(p.name, p.dir);
  }
  return out;
}

/** Finds one plugin by name; `undefined` when no directory has it. */
export async function findPlugin(
  name: string,
  dirs: readonly string[],
  platform: Platform,
  baseDir: string,
): Promise<PluginInfo | undefined> {
  const { plugins } = await discoverPlugins(dirs, platform, baseDir);
  return plugins.find((p) => p.name === name && p.manifest) ?? plugins.find((p) => p.name === name);
}
