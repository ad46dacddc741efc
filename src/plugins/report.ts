/**
 * What `sextant plugins list` and `sextant plugins check` print: one line
 * per plugin, then one line per problem.
 * @module
 */
import type { Discovery } from "./discovery.ts";
import { describePermissions } from "./permissions.ts";

/** Lines for `plugins list`/`check`; `ok` is false when any plugin is refused. */
export function pluginReport(
  d: Discovery,
  runtime: { name: string; enforcesPermissions: boolean },
): { out: string[]; err: string[]; ok: boolean } {
  const out: string[] = [];
  const err: string[] = d.warnings.map((w) => `warning: ${w.message}`);
  let ok = true;
  for (const p of d.plugins) {
    const m = p.manifest;
    if (p.problems.length || !m) {
      ok = false;
      out.push(`${p.name.padEnd(20)} REFUSED  ${p.dir}`);
      for (const problem of p.problems) err.push(`${p.name}: ${problem}`);
      continue;
    }
    const mode = m.kind === "exec" ? `exec/${m.mode}` : m.kind;
    out.push(
      `${m.name.padEnd(20)} ${m.version.padEnd(8)} ${mode.padEnd(12)} ${
        describePermissions(p.permissions!)
      }  ${m.description}`.trimEnd(),
    );
    if (m.kind === "module" && !runtime.enforcesPermissions) {
      err.push(
        `${m.name}: warning: ${runtime.name} cannot enforce module permissions; a source must set trusted = true to run it`,
      );
    }
  }
  if (d.plugins.length === 0) err.push("no plugins found");
  return { out, err, ok };
}
