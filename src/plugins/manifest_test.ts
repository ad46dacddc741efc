import { join } from "node:path";
import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { platform } from "../runtime/mod.ts";
import { discoverPlugins } from "./discovery.ts";
import { checkOptions, loadManifest, secretOptions } from "./manifest.ts";
import { pluginReport } from "./report.ts";

async function plugin(root: string, name: string, toml: string, entry = "mod.ts") {
  const dir = join(root, name);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "plugin.toml"), toml);
  if (entry) await Deno.writeTextFile(join(dir, entry), "export default { collect: () => [] };");
  return dir;
}

const GOOD = `name = "queue"
version = "1.2.0"
kind = "module"
entry = "mod.ts"
api_version = "^1"
description = "queue depth"
[permissions]
net = ["queue.internal:8080"]
read = ["data"]
[options.token]
type = "string"
secret = true
required = true
[options.limit]
type = "integer"
default = 10
`;

Deno.test("manifest loads a valid plugin with absolute permissions", async () => {
  const root = await Deno.makeTempDir();
  const dir = await plugin(root, "queue", GOOD);
  const info = await loadManifest(dir, platform);
  assertEquals(info.problems, []);
  assertEquals(info.manifest?.version, "1.2.0");
  assertEquals(info.entryPath, join(dir, "mod.ts"));
  assertEquals(info.permissions?.read, [join(dir, "data")]);
  assertEquals(info.permissions?.env, false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("manifest refuses a plugin with one clear line per problem", async () => {
  const root = await Deno.makeTempDir();
  const dir = await plugin(
    root,
    "bad",
    `name = "Bad Name"\nversion = "1"\nkind = "wasm"\nentry = "x.ts"\napi_version = "^1"\nextra = 1\n`,
    "",
  );
  const info = await loadManifest(dir, platform);
  const text = info.problems.join("\n");
  assertMatch(text, /plugin\.toml: name: expected a lower-case name/);
  assertMatch(text, /plugin\.toml: version: expected a semantic version like "1\.2\.0"/);
  assertMatch(text, /plugin\.toml: kind: /);
  assertMatch(text, /plugin\.toml: \(manifest\): .*extra/);
  assertEquals(info.manifest, undefined);

  const dir2 = await plugin(
    root,
    "newer",
    GOOD.replace('"^1"', '"^2"').replace('"mod.ts"', '"../escape.ts"'),
    "",
  );
  const text2 = (await loadManifest(dir2, platform)).problems.join("\n");
  assertMatch(
    text2,
    /api_version: the plugin supports host API "\^2", but this Sextant implements 1\.0\.0/,
  );
  assertMatch(text2, /entry: "\.\.\/escape\.ts" is outside the plugin directory/);

  const dir3 = await plugin(root, "toml", `name = "x"\nversion = `, "");
  assertMatch((await loadManifest(dir3, platform)).problems[0], /plugin\.toml: invalid TOML: /);
  const missing = await loadManifest(join(root, "nowhere"), platform);
  assertMatch(missing.problems[0], /cannot read the manifest/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("manifest checks options against the schema and finds secrets", async () => {
  const root = await Deno.makeTempDir();
  const info = await loadManifest(await plugin(root, "queue", GOOD), platform);
  const m = info.manifest!;
  assertEquals(checkOptions(m, { token: "t0ken-value" }), {
    options: { token: "t0ken-value", limit: 10 },
    problems: [],
    issues: [],
  });
  assertEquals(checkOptions(m, { limit: 1.5, colour: "red", tokn: "x" }).problems, [
    `options.limit: expected an integer, found number 1.5`,
    `options.colour: plugin "queue" has no option "colour" (it has token, limit)`,
    `options.tokn: plugin "queue" has no option "tokn" (did you mean "token"?)`,
    `options.token: plugin "queue" requires this option`,
  ]);
  assertEquals(secretOptions(m, { token: "t0ken-value", limit: 3 }), ["t0ken-value"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("discovery finds plugins, warns about missing directories and refuses duplicate names", async () => {
  const root = await Deno.makeTempDir();
  const a = join(root, "a");
  const b = join(root, "b");
  await plugin(a, "queue", GOOD);
  await plugin(b, "queue2", GOOD);
  await plugin(b, "broken", `name = "broken"\n`, "");
  const d = await discoverPlugins([a, "b", "missing"], platform, root);
  assertEquals(d.plugins.map((p) => [p.name, p.problems.length > 0]), [
    ["queue", false],
    ["broken", true],
    ["queue", true],
  ]);
  assertMatch(d.plugins[2].problems[0], /plugin "queue" is already provided by .*\/a\/queue/);
  assertEquals(d.warnings, [
    {
      index: 2,
      message: `plugin directory ${JSON.stringify(join(root, "missing"))} does not exist`,
    },
  ]);
  const report = pluginReport(d, { name: "bun", enforcesPermissions: false });
  assertEquals(report.ok, false);
  assertMatch(
    report.out[0],
    /^queue\s+1\.2\.0\s+module\s+net=queue\.internal:8080 read=.*queue\/data {2}queue depth$/,
  );
  assertMatch(report.out[1], /^broken\s+REFUSED/);
  assertMatch(report.err.join("\n"), /queue: warning: bun cannot enforce module permissions/);
  // A directory that is itself a plugin counts as one.
  const single = await discoverPlugins([join(a, "queue")], platform, root);
  assertEquals(single.plugins.map((p) => p.name), ["queue"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("manifest refuses a plugin whose symlinks lead outside its directory", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = await plugin(root, "linky", GOOD);
    await Deno.writeTextFile(join(root, "secret.txt"), "s");
    await Deno.mkdir(join(dir, "lib/deep"), { recursive: true });
    await Deno.writeTextFile(join(dir, "lib/inside.ts"), "");
    // Inside links are fine; links out (a directory, a file, deep down) and dangling ones are not.
    await Deno.symlink(join(dir, "lib/inside.ts"), join(dir, "lib/alias.ts"));
    await Deno.symlink(root, join(dir, "up"));
    await Deno.symlink(join(root, "secret.txt"), join(dir, "lib/deep/s.txt"));
    await Deno.symlink(join(root, "nowhere"), join(dir, "gone"));
    const info = await loadManifest(dir, platform);
    const real = await Deno.realPath(root);
    assertEquals(info.problems, [
      `${dir}: gone is a symlink to nothing (or a loop); plugins may not ship those`,
      `${dir}: up is a symlink to ${real}, outside the plugin directory; copy the file in instead`,
      `${dir}: lib/deep/s.txt is a symlink to ${real}/secret.txt, outside the plugin directory; copy the file in instead`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("manifest refuses a plugin whose entry is a symlink out", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = await plugin(root, "entrylink", GOOD);
    await Deno.writeTextFile(join(root, "elsewhere.ts"), "export default { collect: () => [] };");
    await Deno.remove(join(dir, "mod.ts"));
    await Deno.symlink(join(root, "elsewhere.ts"), join(dir, "mod.ts"));
    const info = await loadManifest(dir, platform);
    assertEquals(info.problems.length, 1);
    assertMatch(
      info.problems[0],
      /mod\.ts is a symlink to .*elsewhere\.ts, outside the plugin directory/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("manifest refuses an exec plugin whose entry is not executable", async () => {
  const root = await Deno.makeTempDir();
  try {
    const toml =
      `name = "noexec"\nversion = "1.0.0"\nkind = "exec"\nentry = "run.sh"\napi_version = "^1"\n`;
    const dir = await plugin(root, "noexec", toml, "run.sh");
    await Deno.chmod(join(dir, "run.sh"), 0o644);
    const info = await loadManifest(dir, platform);
    assertEquals(info.problems, [
      `${join(dir, "plugin.toml")}: entry: "run.sh" is not executable (chmod +x run.sh)`,
    ]);
    await Deno.chmod(join(dir, "run.sh"), 0o755);
    assertEquals((await loadManifest(dir, platform)).problems, []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
