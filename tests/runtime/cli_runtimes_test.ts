/**
 * The same CLI under `deno run` and `bun`: version, once (JSON), and a
 * full run that is scraped, checked with promtool and stopped with SIGTERM.
 */
import { assert, assertEquals, assertMatch, waitFor } from "../assert.ts";
import {
  BUN,
  DENO,
  exerciseRunning,
  ROOT,
  runCommand,
  SMOKE_CONFIG,
  startCollector,
} from "./helpers.ts";

const RUNTIMES: [string, string[]][] = [
  ["deno", [DENO, "run", "--allow-all", `${ROOT}/main.ts`]],
  ["bun", [BUN, `${ROOT}/main.ts`]],
];

for (const [name, prefix] of RUNTIMES) {
  Deno.test(`${name} main.ts version names the runtime`, async () => {
    const r = await runCommand([...prefix, "version"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout.trim(),
      new RegExp(`^sextant \\d+\\.\\d+\\.\\d+ \\(${name} \\d+\\.\\d+\\.\\d+`),
    );
  });

  Deno.test(`${name} main.ts once --format json prints samples`, async () => {
    const r = await runCommand([...prefix, "once", "--format", "json", "-c", SMOKE_CONFIG]);
    assertEquals(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assertEquals(out.errors, []);
    const answer = out.samples.find((s: { name: string }) => s.name === "smoke_cmd.answer");
    assertEquals(answer.value, 42);
    assertEquals(answer.type, "gauge");
    assert(Math.abs(answer.timestamp - Date.now()) < 120_000, "timestamp is Unix ms");
    assert(out.samples.some((s: { name: string }) => s.name === "host.memory.limit"));
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.test(`${name} main.ts run serves metrics and stops on ${signal}`, async () => {
      const r = await startCollector([...prefix, "run", "-c", SMOKE_CONFIG]);
      await exerciseRunning(r, signal);
      assertMatch(r.stderr(), new RegExp(`shutting down reason=${signal}`));
    });
  }

  Deno.test(`${name} main.ts run reloads on a file change and on SIGHUP`, async () => {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/sextant.toml`;
    const smoke = await Deno.readTextFile(SMOKE_CONFIG);
    await Deno.writeTextFile(file, smoke);
    const r = await startCollector([...prefix, "run", "-c", file]);
    try {
      await waitFor(() => r.stderr().includes("watching configuration files"), "the watch");
      type S = { sources: { name: string }[]; config: { reloads: { success: number } } };
      const status = async () => (await (await fetch(`${r.adminUrl}/status`)).json()) as S;
      await Deno.writeTextFile(
        file,
        smoke + '\n[[custom_metrics.sources]]\nname = "later"\ntype = "command"\n' +
          'command = ["sh", "-c", "echo 5"]\nformat = "number"\ninterval = "1s"\n',
      );
      await waitFor(
        async () => (await (await fetch(r.metricsUrl)).text()).includes("later_value 5"),
        "the added source",
      );
      const before = (await status()).config.reloads.success;
      r.child.kill("SIGHUP");
      await waitFor(
        async () => (await status()).config.reloads.success > before,
        "the SIGHUP reload",
      );
      assertMatch(r.stderr(), /configuration reloaded trigger=signal/);
    } finally {
      const { code } = await r.terminate();
      assertEquals(code, 0, r.stderr());
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${name} main.ts validate reports a bad file in one located line`, async () => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/bad.toml`, `[custom_metrics]\naggregation_windw = "5m"\n`);
    const r = await runCommand([...prefix, "validate", "-c", `${dir}/bad.toml`]);
    assertEquals(r.code, 1);
    assertMatch(
      r.stderr,
      /bad\.toml:2:1: custom_metrics\.aggregation_windw: unknown key .*did you mean "aggregation_window"/,
    );
    assert(!/\n\s+at /.test(r.stderr), r.stderr);
    await Deno.remove(dir, { recursive: true });
  });
}
