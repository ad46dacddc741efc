/**
 * Support for the plugin integration tests: plugin directories written to
 * a temporary folder, and a real agent (real hosts, workers, processes and
 * a Prometheus endpoint) running them next to a steady built-in source.
 * @module
 */
import { join } from "node:path";
import { Agent, loadDocument } from "../../src/agent/mod.ts";
import { createLogger, Redactor, type SourceKind, systemClock } from "../../src/core/mod.ts";
import { createPluginKind, PluginRegistry } from "../../src/plugins/mod.ts";
import { platform, type SelfExec, selfExec } from "../../src/runtime/mod.ts";
import { builtinSourceKinds } from "../../src/sources/mod.ts";
import { waitFor } from "../assert.ts";

/** Re-executes main.ts (not the test file) as the plugin host. */
export const SELF = {
  ...selfExec(),
  mainModule: new URL("../../main.ts", import.meta.url).href,
};

/**
 * SELF as a collector that cannot download code (started with
 * `--cached-only`, or compiled), the condition for `isolation = "worker"`.
 */
export const SELF_NO_DOWNLOAD: SelfExec = { ...SELF, mayDownload: false };

/** A secret the test process holds; it must never show in metrics or logs. */
export const SECRET = "hunter2-plugin-secret-93b1";
Deno.env.set("SEXTANT_TEST_PLUGIN_SECRET", SECRET);

/** Writes one plugin directory (`files` maps names to contents; `.sh` files become executable). */
export async function writePlugin(
  root: string,
  name: string,
  manifest: string,
  files: Record<string, string>,
): Promise<string> {
  const dir = join(root, name);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "plugin.toml"), `name = "${name}"\n${manifest}`);
  for (const [f, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(dir, f), text);
    if (f.endsWith(".sh")) await Deno.chmod(join(dir, f), 0o755);
  }
  return dir;
}

/** A running agent with captured logs. */
export interface TestAgent {
  agent: Agent;
  registry: PluginRegistry;
  logs: string[];
  metricsUrl: string;
  metrics(): Promise<string>;
  /** Collections of the steady source so far. */
  steady(): { collections: number; overruns: number; state: string };
  plugin(source?: string): Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * Starts an agent on `sourcesToml` plus a steady `file` source read every
 * 200 ms, with plugins from `root`.
 */
export async function startAgent(
  root: string,
  sourcesToml: string,
  self: SelfExec = SELF,
): Promise<TestAgent> {
  const file = join(root, "sextant.toml");
  await Deno.writeTextFile(join(root, "steady.txt"), "7\n");
  await Deno.writeTextFile(
    file,
    `[custom_metrics]
plugin_directories = ["${root}"]
[custom_metrics.agent]
jitter = 0
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"
[[custom_metrics.sources]]
name = "steady"
type = "file"
path = "steady.txt"
format = "number"
interval = "200ms"
timeout = "200ms"
${sourcesToml}`,
  );
  const registry = new PluginRegistry();
  const kind = createPluginKind({ directories: [root], baseDir: root, self, registry });
  const kinds = [...builtinSourceKinds, kind as unknown as SourceKind];
  const loaded = await loadDocument([file], kinds, platform);
  if (!loaded.ok || !loaded.config) {
    throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  }
  const logs: string[] = [];
  const redactor = new Redactor();
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: (l) => logs.push(l),
    redactor,
  });
  const agent = new Agent({
    config: loaded.config,
    kinds,
    platform,
    logger,
    clock: systemClock,
    redactor,
    plugins: registry,
    baseDirOf: () => root,
  });
  await agent.start();
  const metricsUrl = agent.pipeline.endpoints[0].url;
  return {
    agent,
    registry,
    logs,
    metricsUrl,
    metrics: async () => await (await fetch(metricsUrl)).text(),
    steady() {
      const s = agent.status().sources.find((x) => x.name === "steady")!;
      return { collections: s.collections, overruns: s.overruns, state: s.state };
    },
    plugin(source = "bad") {
      return (agent.status().plugins as Record<string, unknown>[]).find((p) =>
        p.source === source
      )!;
    },
    stop: () => agent.stop(),
  };
}

/**
 * Waits until the steady source collected `n` more times, and checks it did so on time and that it
 * never overran beyond `allowedOverruns` (those the caller explained) since the agent started.
 */
export async function steadyKeepsReporting(
  t: TestAgent,
  n = 4,
  allowedOverruns = 0,
): Promise<void> {
  const start = t.steady().collections;
  const t0 = performance.now();
  await waitFor(
    () => t.steady().collections >= start + n,
    "the steady source to keep collecting",
    10_000,
  );
  const ms = performance.now() - t0;
  // 200 ms interval: n collections in well under 3x the time, and none skipped.
  if (ms > n * 200 * 3 + 500) {
    throw new Error(`steady source slowed down: ${n} collections took ${ms} ms`);
  }
  if (t.steady().overruns > allowedOverruns) {
    throw new Error(
      `steady source overran ${t.steady().overruns} times${
        allowedOverruns ? ` (${allowedOverruns} explained before)` : ""
      }`,
    );
  }
}
