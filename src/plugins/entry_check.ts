/**
 * Load checks of a plugin's entry for `sextant plugins check`: a module
 * plugin's entry is imported once in a real host (a syntax error comes back
 * with its location; the default export must have `collect()`), a python
 * plugin's file is parsed (no bytecode is written) and must define
 * `collect`. Exec entries are checked by the manifest (present, executable).
 * @module
 */
import { type Clock, errorMessage, type Platform, silentLogger } from "../core/mod.ts";
import type { SelfExec } from "../runtime/mod.ts";
import { runCommand } from "../sources/command/mod.ts";
import type { PluginInfo } from "./manifest.ts";
import { ModuleBackend } from "./module_host.ts";
import { hostEnv } from "./plugin_source.ts";

/** What the checks need. */
export interface EntryCheckEnv {
  self: SelfExec;
  platform: Platform;
  clock: Clock;
  /** Milliseconds a check may take. @default {30000} */
  timeout?: number;
}

/**
 * Parses a Python file and looks for a top-level `collect`; prints
 * `<line>:<col>: <message>` and exits 1 on a syntax error, exits 3 without
 * `collect`. `-I -B`: isolated, and no bytecode written.
 */
const PYTHON_CHECK = `
import ast, sys
path = sys.argv[1]
try:
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), path)
except SyntaxError as e:
    print(f"{e.lineno}:{e.offset}: {e.msg}")
    sys.exit(1)
def names(n):
    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [n.name]
    if isinstance(n, ast.Assign):
        return [t.id for t in n.targets if isinstance(t, ast.Name)]
    if isinstance(n, (ast.Import, ast.ImportFrom)):
        return [a.asname or a.name for a in n.names]
    return []
if not any("collect" in names(n) for n in tree.body):
    sys.exit(3)
`;

/**
 * Load-checks `info`'s entry; returns one line per problem (empty when it
 * loads). `info` must be a usable plugin (a manifest and no problems).
 *
 * @example
 * ```ts
 * const problems = await checkEntry(info, { self: selfExec(), platform, clock: systemClock });
 * ```
 */
export async function checkEntry(info: PluginInfo, env: EntryCheckEnv): Promise<string[]> {
  const m = info.manifest!;
  const entry = info.entryPath!;
  const timeout = env.timeout ?? 30_000;
  if (m.kind === "module") {
    const b = new ModuleBackend({
      name: m.name,
      entryPath: entry,
      pluginDir: info.dir,
      permissions: info.permissions!,
      options: {},
      memoryMb: 256,
      killGrace: 1000,
      heartbeat: 0,
      maxLine: 1 << 20,
      self: env.self,
      env: hostEnv(env.platform),
      platform: env.platform,
      clock: env.clock,
      logger: silentLogger,
      checkOnly: true,
    });
    try {
      await b.start(AbortSignal.timeout(timeout));
      return [];
    } catch (err) {
      const msg = errorMessage(err);
      // A syntax error already starts with `<entry>:<line>:<col>:`.
      return [msg.startsWith(`${entry}:`) ? msg : `${entry}: cannot be loaded: ${msg}`];
    } finally {
      await b.stop();
    }
  }
  if (m.kind === "python") {
    const r = await runCommand(
      env.platform,
      [m.interpreter, "-I", "-B", "-c", PYTHON_CHECK, entry],
      {
        cwd: info.dir,
        env: { PATH: env.platform.env("PATH") ?? "/usr/bin:/bin" },
        maxOutput: 64 * 1024,
        killGrace: 1000,
        signal: AbortSignal.timeout(timeout),
        clock: env.clock,
      },
    );
    const out = new TextDecoder().decode(r.stdout).trim().split("\n")[0];
    if (r.exit.error) return [`${entry}: cannot run ${m.interpreter}: ${r.exit.error}`];
    if (r.exit.code === 0) return [];
    if (r.exit.code === 1 && out) return [`${entry}:${out}`];
    if (r.exit.code === 3) {
      return [`${entry}: defines no collect(options) function at the top level`];
    }
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").at(-1) ?? "";
    return [`${entry}: ${m.interpreter} could not check it (exit ${r.exit.code}): ${err}`.trim()];
  }
  return [];
}
