/**
 * Resource limits of exec plugins: the default `memory_limit` lets
 * runtimes that reserve large address ranges (Node, Deno) start, 0 turns
 * the limit off, and a runtime that dies under a too-small limit is
 * reported with a message naming `memory_limit`.
 */
import { assertEquals, assertMatch, waitFor } from "../assert.ts";
import { DENO } from "../runtime/helpers.ts";
import { startAgent, steadyKeepsReporting, writePlugin } from "./plugins_support.ts";

const EXEC =
  `version = "1.0.0"\nkind = "exec"\nentry = "run.sh"\napi_version = "^1"\nformat = "json"\n`;
const PRINT = `'console.log(JSON.stringify({ name: "a", value: 1 }))'`;

async function runtimePlugin(runtime: string, sourceExtra: string) {
  const root = await Deno.makeTempDir({ prefix: "sextant-limits-" });
  await writePlugin(root, "rt", EXEC, { "run.sh": `#!/bin/sh\nexec ${runtime} ${PRINT}\n` });
  const t = await startAgent(
    root,
    `[[custom_metrics.sources]]\nname = "rt"\ntype = "plugin"\nplugin = "rt"\ninterval = "2s"\ntimeout = "2s"\n${sourceExtra}`,
  );
  const errors = () =>
    t.agent.status().sources.find((s) => s.name === "rt")!.last_errors.map((e) => e.message)
      .join("\n");
  return {
    t,
    errors,
    async done() {
      await t.stop();
      await Deno.remove(root, { recursive: true });
    },
  };
}

const hasPrlimit = await Deno.stat("/usr/bin/prlimit").then(() => true, () => false);
const hasNode = await Deno.stat("/usr/bin/node").then(() => true, () => false);

Deno.test({
  name: "plugin exec running node starts under the default memory_limit",
  ignore: !hasNode,
  fn: async () => {
    const p = await runtimePlugin("/usr/bin/node -e", "");
    try {
      await waitFor(async () => /rt_a 1/.test(await p.t.metrics()), "node's sample", 20_000);
      assertEquals(p.errors(), "");
      await steadyKeepsReporting(p.t);
    } finally {
      await p.done();
    }
  },
});

Deno.test("plugin exec running deno starts under the default memory_limit and with 0 (off)", async () => {
  for (const extra of ["", "memory_limit = 0\n"]) {
    const p = await runtimePlugin(`${DENO} eval`, extra);
    try {
      await waitFor(
        async () => /rt_a 1/.test(await p.t.metrics()),
        `deno's sample (${extra})`,
        20_000,
      );
      assertEquals(p.errors(), "");
    } finally {
      await p.done();
    }
  }
});

Deno.test({
  name: "plugin exec dying under a too-small memory_limit is reported naming memory_limit",
  ignore: !hasPrlimit,
  fn: async () => {
    const p = await runtimePlugin(`${DENO} eval`, "memory_limit = 64\n");
    try {
      await waitFor(() => /memory_limit/.test(p.errors()), "the failure reported", 20_000);
      assertMatch(
        p.errors(),
        /the plugin was killed by SIGTRAP.*\(it may have hit memory_limit = 64 MiB: raise memory_limit, or set it to 0 for no limit\)/s,
      );
      await steadyKeepsReporting(p.t);
    } finally {
      await p.done();
    }
  },
});
