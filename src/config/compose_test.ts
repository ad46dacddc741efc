import { platform } from "../runtime/mod.ts";
import { glob } from "./compose.ts";
import { assert, assertEquals, assertStringIncludes } from "./testdata/assert.ts";
import { DESIGN_EXAMPLE, loadFiles, removeDir, tempFiles } from "./testdata/helpers.ts";

const CMD = (name: string, extra = "") =>
  `[[custom_metrics.sources]]\nname = "${name}"\ntype = "command"\ncommand = ["true"]\n${extra}`;

Deno.test("include merges the matched files after the including one, sorted", async () => {
  const r = await loadFiles({
    "main.toml": 'include = ["conf.d/*.toml"]\n' + DESIGN_EXAMPLE,
    "conf.d/20-b.toml": CMD("b", "interval = 5\n"),
    "conf.d/10-a.toml": CMD("a") + CMD("b", "interval = 9\n"),
    "conf.d/notes.txt": "not toml",
  }, { load: ["main.toml"] });
  assertEquals(r.messages, []);
  const cm = r.config!.custom_metrics;
  assertEquals(cm.sources.map((s) => s.name), ["database_metrics", "a", "b"]);
  // 20-b.toml comes after 10-a.toml, so its interval wins.
  assertEquals(cm.sources[2].interval, 5000);
  assertEquals(r.files.map((f) => f.replace(`${r.dir}/`, "")), [
    "main.toml",
    "conf.d/10-a.toml",
    "conf.d/20-b.toml",
  ]);
  assertEquals(r.watch.dirs, [`${r.dir}/conf.d`]);
  assertEquals(r.watch.files.length, 3);
  assertEquals(r.baseDirOf(["custom_metrics", "sources", 1]), `${r.dir}/conf.d`);
  assertEquals(Object.keys(r.raw), ["custom_metrics"]);
});

Deno.test("extends merges the base first, so the extending file overrides it", async () => {
  const r = await loadFiles({
    "base.toml": DESIGN_EXAMPLE,
    "prod/prod.toml": 'extends = "../base.toml"\n[custom_metrics]\naggregation_window = "10m"\n' +
      '[[custom_metrics.sources]]\nname = "database_metrics"\ninterval = 30\n',
  }, { load: ["prod/prod.toml"] });
  assertEquals(r.messages, []);
  const cm = r.config!.custom_metrics;
  assertEquals(cm.aggregation_window, 600_000);
  assertEquals(cm.sources[0].interval, 30_000);
  assertEquals(cm.sources[0].type, "database");
});

Deno.test("include reports an error in an included file where it was written", async () => {
  const r = await loadFiles({
    "main.toml": 'include = ["conf.d/*.toml"]\n' + DESIGN_EXAMPLE,
    "conf.d/x.toml": CMD("x", "intervall = 5\n"),
  }, { load: ["main.toml"] });
  assertEquals(r.messages, [
    'conf.d/x.toml:5:1: custom_metrics.sources[1].intervall: unknown key "intervall" (did you mean "interval"?)',
  ]);
});

Deno.test("include reports a cycle with the chain of files at the include key", async () => {
  const r = await loadFiles({
    "a.toml": 'include = ["b.toml"]\n[custom_metrics]\n',
    "b.toml": 'include = ["c.toml"]\n',
    "c.toml": 'extends = "a.toml"\n',
  }, { load: ["a.toml"] });
  assert(!r.ok);
  assertEquals(r.messages.length, 1, r.messages.join("\n"));
  assertStringIncludes(r.messages[0], "c.toml:1:1: extends: include cycle: ");
  assertStringIncludes(r.messages[0], "a.toml -> ");
  assertStringIncludes(r.messages[0], "b.toml -> ");
  assertStringIncludes(r.messages[0], "c.toml -> ");
  assert(r.messages[0].endsWith("a.toml"), r.messages[0]);
});

Deno.test("include reports a missing file at the reference with the chain", async () => {
  const r = await loadFiles({
    "a.toml": 'include = ["b.toml"]\n[custom_metrics]\n',
    "b.toml": 'include = ["gone.toml"]\n',
  }, { load: ["a.toml"] });
  assertEquals(r.messages.length, 1, r.messages.join("\n"));
  assertStringIncludes(r.messages[0], "b.toml:1:12: include[0]: cannot read ");
  assertStringIncludes(r.messages[0], 'gone.toml": no such file (');
  assert(r.messages[0].endsWith("gone.toml)"), r.messages[0]);
  assertStringIncludes(r.messages[0], "a.toml -> ");
});

Deno.test("include with a glob that matches nothing adds nothing", async () => {
  const r = await loadFiles({ "a.toml": 'include = ["none.d/*.toml"]\n' + DESIGN_EXAMPLE });
  assertEquals(r.messages, []);
  assertEquals(r.files.length, 1);
});

Deno.test("include and extends with values of the wrong type are located errors", async () => {
  const r = await loadFiles({
    "a.toml": 'include = 5\nextends = [1]\npublic_env = "X"\n[custom_metrics]\n',
  });
  assertEquals(r.messages, [
    "a.toml:1:1: include: expected an array of paths or globs, found number 5",
    "a.toml:2:1: extends: expected a file path, found an array",
    'a.toml:3:1: public_env: expected an array of variable names, found string "X"',
  ]);
  const items = await loadFiles({ "a.toml": 'include = ["", 3]\n[custom_metrics]\n' });
  assertEquals(items.messages, [
    'a.toml:1:12: include[0]: expected a path or glob, found string ""',
    "a.toml:1:16: include[1]: expected a path or glob, found number 3",
  ]);
});

Deno.test("include of a file with a syntax error reports it in that file", async () => {
  const r = await loadFiles({
    "a.toml": 'include = ["b.toml"]\n[custom_metrics]\n',
    "b.toml": "[custom_metrics\n",
  }, { load: ["a.toml"] });
  assertEquals(r.messages.length, 1);
  assertStringIncludes(r.messages[0], "b.toml:1:");
  assertStringIncludes(r.messages[0], "invalid TOML");
});

Deno.test("include removes a source by name with enabled = false", async () => {
  const r = await loadFiles({
    "a.toml": 'include = ["off.toml"]\n' + DESIGN_EXAMPLE,
    "off.toml": '[[custom_metrics.sources]]\nname = "database_metrics"\nenabled = false\n',
  }, { load: ["a.toml"] });
  assertEquals(r.messages, []);
  assertEquals(r.config!.custom_metrics.sources, []);
});

Deno.test("glob matches within segments, skips dot files and sorts", async () => {
  const dir = await tempFiles({
    "d/b.toml": "",
    "d/a.toml": "",
    "d/.hidden.toml": "",
    "d/sub/c.toml": "",
    "e/x1.toml": "",
    "e/x2.toml": "",
  });
  try {
    assertEquals((await glob(`${dir}/d/*.toml`, platform)).matches, [
      `${dir}/d/a.toml`,
      `${dir}/d/b.toml`,
    ]);
    assertEquals((await glob(`${dir}/*/x[12].toml`, platform)).matches, [
      `${dir}/e/x1.toml`,
      `${dir}/e/x2.toml`,
    ]);
    assertEquals((await glob(`${dir}/d/?.toml`, platform)).matches.length, 2);
    assertEquals((await glob(`${dir}/nope/*.toml`, platform)).matches, []);
  } finally {
    await removeDir(dir);
  }
});
