/**
 * The single binary built with `bun build --compile` (the same command as
 * `deno task compile:bun`): once, and a full run.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { BUN, exerciseRunning, ROOT, runCommand, SMOKE_CONFIG, startCollector } from "./helpers.ts";

Deno.test("bun-compiled binary runs once and run from outside the checkout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-bin-" });
  const bin = `${dir}/sextant`;
  const build = await runCommand([BUN, "build", "--compile", "--outfile", bin, `${ROOT}/main.ts`], {
    timeoutMs: 180_000,
  });
  assertEquals(build.code, 0, build.stderr + build.stdout);

  const version = await runCommand([bin, "version"], { cwd: dir });
  assertEquals(version.code, 0, version.stderr);
  assertMatch(version.stdout, /^sextant \d+\.\d+\.\d+ \(bun /);

  const once = await runCommand([bin, "once", "--format", "json", "-c", SMOKE_CONFIG], {
    cwd: dir,
  });
  assertEquals(once.code, 0, once.stderr);
  assertEquals(
    JSON.parse(once.stdout).samples.find((s: { name: string }) => s.name === "smoke_cmd.answer")
      .value,
    42,
  );

  const r = await startCollector([bin, "run", "-c", SMOKE_CONFIG], { cwd: dir });
  await exerciseRunning(r);
  await Deno.remove(dir, { recursive: true });
});
