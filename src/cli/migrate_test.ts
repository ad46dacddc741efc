import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { type Platform, systemClock } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { type CliIO, EXIT, main } from "./mod.ts";

const EXAMPLE = await Deno.readTextFile(
  new URL("../config/testdata/monitor/m8mulprc.toml", import.meta.url),
);

Deno.test("config migrate accepts the shipped 0.3 example as it stands", async () => {
  const shipped = new URL("../../config/examples/monitor-0.3/m8mulprc.toml", import.meta.url)
    .pathname;
  assertEquals(await Deno.readTextFile(shipped), EXAMPLE);
  const a = io();
  assertEquals(await main(["config", "migrate", shipped], a.cli), EXIT.OK, a.errText());
  assertStringIncludes(a.text(), '+type = "process"');
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIO = {
    platform: platform as Platform,
    clock: systemClock,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
  };
  return { cli, out, err, text: () => out.join("\n"), errText: () => err.join("\n") };
}

/** Starts `n` idle processes whose command line carries `tag`. */
function sleepers(tag: string, n: number) {
  return Array.from(
    { length: n },
    () => new Deno.Command("sh", { args: ["-c", `sleep 300 # ${tag}`], stdout: "null" }).spawn(),
  );
}

async function killAll(children: Deno.ChildProcess[]) {
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map((c) => c.status));
}

Deno.test("config migrate prints a diff, --write keeps a .bak, and the result validates and runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-migrate-" });
  const tag = `M8Prc${Math.floor(Math.random() * 1e9)}`;
  const file = `${dir}/monitor.toml`;
  const original = EXAMPLE.replaceAll("M8MulPrc", tag).replaceAll("m8mulprc", tag.toLowerCase());
  await Deno.writeTextFile(file, original);
  const procs = sleepers(tag.toLowerCase(), 2);
  try {
    const diff = io();
    assertEquals(await main(["config", "migrate", file], diff.cli), EXIT.OK, diff.errText());
    assertStringIncludes(diff.text(), `--- ${file}\n+++ ${file} (migrated)\n@@ `);
    assertStringIncludes(diff.text(), '\n+type = "process"');
    assertStringIncludes(diff.text(), "\n-[metadata]");
    assertStringIncludes(diff.errText(), "port 4317 is OTLP/gRPC");
    assertStringIncludes(diff.errText(), '"network" is not migrated');
    assertEquals(await Deno.readTextFile(file), original, "a diff must not write");

    const write = io();
    assertEquals(await main(["config", "migrate", file, "--write"], write.cli), EXIT.OK);
    assertEquals(await Deno.readTextFile(`${file}.bak`), original);
    assertStringIncludes(await Deno.readTextFile(file), 'type = "process"');

    const v = io();
    assertEquals(await main(["validate", "-c", file], v.cli), EXIT.OK, v.errText());

    const once = io();
    assertEquals(
      await main(["once", "-c", file, "--format", "json"], once.cli),
      EXIT.OK,
      once.errText() + once.text(),
    );
    const out = JSON.parse(once.text()) as {
      samples: { name: string; value: number }[];
      errors: unknown[];
    };
    assertEquals(out.errors, []);
    const value = (n: string) =>
      out.samples.find((s) => s.name === `${tag.toLowerCase()}.${n}`)?.value;
    assertEquals(value("processes"), 2);
    assert(value("memory.rss")! > 0, "rss");
    assert(value("threads")! >= 2, "threads");
    assert(value("open_fds")! >= 2, "fds");
    assert(value("cpu.utilization") !== undefined, "cpu");

    const again = io();
    assertEquals(await main(["config", "migrate", file], again.cli), EXIT.OK);
    assertStringIncludes(again.text(), "already at config_version 4");
  } finally {
    await killAll(procs);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config migrate merges several monitor files into --output and reports bad input", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-migrate-" });
  try {
    await Deno.writeTextFile(`${dir}/a.toml`, EXAMPLE);
    await Deno.writeTextFile(
      `${dir}/b.toml`,
      EXAMPLE.replaceAll("M8MulPrc", "Gateway").replaceAll("m8mulprc", "gateway") +
        "[monitoring.thresholds]\ncpu = 90\n",
    );
    const a = io();
    assertEquals(
      await main([
        "config",
        "migrate",
        `${dir}/a.toml`,
        `${dir}/b.toml`,
        "--output",
        `${dir}/sextant.toml`,
        "--write",
      ], a.cli),
      EXIT.OK,
      a.errText(),
    );
    assertStringIncludes(a.errText(), "monitoring.thresholds: unknown key, not migrated (a table)");
    const v = io();
    assertEquals(await main(["validate", "-c", `${dir}/sextant.toml`], v.cli), EXIT.OK);
    assertStringIncludes(v.text(), "valid (2 source(s)");
    assertEquals(await Deno.stat(`${dir}/sextant.toml.bak`).catch(() => null), null);

    const missing = io();
    assertEquals(await main(["config", "migrate", `${dir}/nope.toml`], missing.cli), EXIT.FAILURE);
    assertEquals(missing.errText(), `${dir}/nope.toml: cannot read: no such file`);
    const usage = io();
    assertEquals(await main(["validate", "--write"], usage.cli), EXIT.USAGE);
    assertStringIncludes(usage.errText(), '--write and --output apply to "config migrate" only');
    const invalid = io();
    await Deno.writeTextFile(`${dir}/bad.toml`, "[custom_metrics]\nbogus = 1\n");
    assertEquals(await main(["config", "migrate", `${dir}/bad.toml`], invalid.cli), EXIT.FAILURE);
    assertStringIncludes(invalid.errText(), 'unknown key "bogus"');
    assertStringIncludes(
      invalid.errText(),
      "the migrated configuration does not validate; nothing written",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
