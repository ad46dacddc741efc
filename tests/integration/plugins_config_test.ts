/**
 * Plugin sources checked by the config loader (`validate`, `once`, `run` and
 * hot reload share it): the plugin must exist in plugin_directories, and its
 * options must match the plugin's manifest. Real plugin folders, the real CLI.
 */
import { join } from "node:path";
import { type Platform, systemClock } from "../../src/core/mod.ts";
import { type CliIO, EXIT, main } from "../../src/cli/mod.ts";
import { platform } from "../../src/runtime/mod.ts";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { writePlugin } from "./plugins_support.ts";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIO = {
    platform: platform as Platform,
    clock: systemClock,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
  };
  return { cli, out: () => out.join("\n"), err: () => err.join("\n") };
}

const MANIFEST = `version = "1.0.0"
kind = "python"
entry = "plugin.py"
api_version = "^1"
[options.samples]
type = "integer"
default = 2
[options.region]
type = "string"
required = true
`;

async function setup(sourcesToml: string, dirs = `["plugins"]`) {
  const root = await Deno.makeTempDir({ prefix: "sextant-plugins-config-" });
  await writePlugin(join(root, "plugins"), "py_random", MANIFEST, {
    "plugin.py": "def collect(options):\n    return []\n",
  });
  const file = join(root, "sextant.toml");
  await Deno.writeTextFile(
    file,
    `[custom_metrics]\nplugin_directories = ${dirs}\n\n${sourcesToml}`,
  );
  return { root, file, done: () => Deno.remove(root, { recursive: true }) };
}

Deno.test("plugin config validate refuses a misspelt plugin with a located did-you-mean", async () => {
  const t = await setup(`[[custom_metrics.sources]]
name = "rand"
type = "plugin"
plugin = "py_randon"
options = { region = "eu" }
`);
  try {
    const a = io();
    assertEquals(await main(["validate", "-c", t.file], a.cli), EXIT.FAILURE);
    assertMatch(
      a.err(),
      new RegExp(
        `^${t.file}:7:1: custom_metrics\\.sources\\[0\\]\\.plugin: no plugin "py_randon" in plugin_directories \\(did you mean "py_random"\\?\\)$`,
        "m",
      ),
    );
    assertMatch(a.err(), /1 error\(s\) in /);
  } finally {
    await t.done();
  }
});

Deno.test("plugin config validate refuses options of the wrong type, unknown and missing ones, each located", async () => {
  const t = await setup(`[[custom_metrics.sources]]
name = "rand"
type = "plugin"
plugin = "py_random"
options = { sampels = 3, region = 4 }

[[custom_metrics.sources]]
name = "rand2"
type = "plugin"
plugin = "py_random"
options = { samples = "abc" }

[[custom_metrics.sources]]
name = "ok"
type = "plugin"
plugin = "py_random"
options = { region = "eu", samples = 3 }
`);
  try {
    const a = io();
    assertEquals(await main(["validate", "-c", t.file], a.cli), EXIT.FAILURE);
    const lines = a.err().split("\n");
    assertEquals(lines, [
      `${t.file}:8:13: custom_metrics.sources[0].options.sampels: plugin "py_random" has no option "sampels" (did you mean "samples"?)`,
      `${t.file}:8:26: custom_metrics.sources[0].options.region: expected a string, found number 4`,
      `${t.file}:14:1: custom_metrics.sources[1].options.region: plugin "py_random" requires this option`,
      `${t.file}:14:13: custom_metrics.sources[1].options.samples: expected an integer, found string "abc"`,
      `4 error(s) in ${t.file}`,
    ]);
    // `once` goes through the same loader: it refuses to start instead of failing later.
    const b = io();
    assertEquals(await main(["once", "-c", t.file], b.cli), EXIT.FAILURE);
    assertMatch(b.err(), /options\.sampels: plugin "py_random" has no option "sampels"/);
  } finally {
    await t.done();
  }
});

Deno.test("plugin config validate accepts a good plugin source and warns about a missing directory", async () => {
  const t = await setup(
    `[[custom_metrics.sources]]
name = "rand"
type = "plugin"
plugin = "py_random"
options = { region = "eu" }
`,
    `["plugins", "/nonexistent/sextant-plugins"]`,
  );
  try {
    const a = io();
    assertEquals(await main(["validate", "-c", t.file], a.cli), EXIT.OK, a.err());
    assertMatch(a.out(), /valid \(1 source\(s\), .*1 warning\(s\)\)/);
    assertEquals(a.err().split("\n"), [
      `warning: ${t.file}:2:34: custom_metrics.plugin_directories[1]: plugin directory "/nonexistent/sextant-plugins" does not exist`,
    ]);
  } finally {
    await t.done();
  }
});

Deno.test("plugin config validate warns about a refused plugin, whose files may be fixed while Sextant runs", async () => {
  const t = await setup(`[[custom_metrics.sources]]
name = "rand"
type = "plugin"
plugin = "broken"
`);
  try {
    await writePlugin(
      join(t.root, "plugins"),
      "broken",
      `version = "one"\nkind = "exec"\nentry = "x.sh"\napi_version = "^1"\n`,
      {
        "x.sh": "#!/bin/sh\n",
      },
    );
    const a = io();
    assertEquals(await main(["validate", "-c", t.file], a.cli), EXIT.OK, a.err());
    assertMatch(
      a.err(),
      /^warning: .*sextant\.toml:7:1: custom_metrics\.sources\[0\]\.plugin: plugin "broken" is refused until its files are fixed: .*version: expected a semantic version/m,
    );
  } finally {
    await t.done();
  }
});

Deno.test("plugin config validate without plugin directories names no candidates", async () => {
  const t = await setup(
    `[[custom_metrics.sources]]
name = "rand"
type = "plugin"
plugin = "py_random"
`,
    "[]",
  );
  try {
    const a = io();
    assertEquals(await main(["validate", "-c", t.file], a.cli), EXIT.FAILURE);
    assertMatch(
      a.err(),
      /sources\[0\]\.plugin: no plugin "py_random" in plugin_directories \(none found\)/,
    );
    assert(!/did you mean/.test(a.err()));
  } finally {
    await t.done();
  }
});

Deno.test("plugin config plugins check on a file says it is not a directory", async () => {
  const a = io();
  assertEquals(await main(["plugins", "check", "/etc/passwd"], a.cli), EXIT.FAILURE);
  assertMatch(a.err(), /warning: plugin directory "\/etc\/passwd" is not a directory/);
});
