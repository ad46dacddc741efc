/**
 * The same CLI under `deno run` and `bun`: version, once (JSON), and a
 * full run that is scraped, checked with promtool and stopped with SIGTERM.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
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
