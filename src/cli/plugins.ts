/**
 * `sextant plugins list|check [DIR]`: discovers plugins (in DIR, or in the
 * config's plugin_directories) and validates their manifests; `check` also
 * load-checks each entry (imports a module plugin in a real host, parses a
 * python plugin).
 * @module
 */
import { checkEntry, discoverPlugins, pluginReport } from "../plugins/mod.ts";
import { selfExec } from "../runtime/mod.ts";
import { type GlobalFlags, loadOrReport } from "./context.ts";
import { type CliIO, EXIT } from "./io.ts";

/** Runs `plugins list` or `plugins check`; exit 1 when a plugin is refused (or a check found none). */
export async function pluginsCommand(
  sub: "list" | "check",
  dirs: string[],
  flags: GlobalFlags,
  io: CliIO,
): Promise<number> {
  let baseDir = io.platform.cwd();
  if (dirs.length === 0) {
    const loaded = await loadOrReport(flags, io, { quietWarnings: true });
    if (!loaded) return EXIT.FAILURE;
    dirs = loaded.result.config.custom_metrics.plugin_directories;
    baseDir = loaded.result.baseDirOf(["custom_metrics", "plugin_directories"]);
  }
  const found = await discoverPlugins(dirs, io.platform, baseDir);
  const self = selfExec();
  if (sub === "check") {
    for (const p of found.plugins) {
      if (p.problems.length || !p.manifest) continue;
      p.problems.push(...await checkEntry(p, { self, platform: io.platform, clock: io.clock }));
    }
  }
  const report = pluginReport(found, {
    name: self.runtime,
    enforcesPermissions: self.enforcesPermissions,
  });
  for (const l of report.out) io.stdout(l);
  for (const l of report.err) io.stderr(l);
  if (!report.ok) return EXIT.FAILURE;
  if (sub === "check" && found.plugins.length === 0) return EXIT.FAILURE;
  return EXIT.OK;
}
