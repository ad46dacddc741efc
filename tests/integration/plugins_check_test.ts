/**
 * `sextant plugins check` load-checks each entry: a module plugin is
 * imported in a real host (main.ts re-executed), a python plugin is parsed
 * by python3. Real processes, real plugin folders.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { writePlugin } from "./plugins_support.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const MODULE = `version = "1.0.0"\nkind = "module"\nentry = "mod.ts"\napi_version = "^1"\n`;
const PYTHON = `version = "1.0.0"\nkind = "python"\nentry = "plugin.py"\napi_version = "^1"\n`;

async function check(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "plugins", "check", dir],
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("plugins check load-checks entries: module syntax error, missing collect, python syntax error and missing collect", async () => {
  const root = await Deno.makeTempDir({ prefix: "sextant-plugins-check-" });
  try {
    await writePlugin(root, "mod_syntax", MODULE, {
      "mod.ts": "export default {\n  collect() {\n    return [ x y ];\n  },\n};\n",
    });
    await writePlugin(root, "mod_nocollect", MODULE, { "mod.ts": "export default {};\n" });
    await writePlugin(root, "py_syntax", PYTHON, {
      "plugin.py": "def collect(options)\n    return []\n",
    });
    await writePlugin(root, "py_nocollect", PYTHON, {
      "plugin.py": "def gather(options):\n    return []\n",
    });
    const r = await check(root);
    assertEquals(r.code, 1, r.stderr);
    for (const name of ["mod_syntax", "mod_nocollect", "py_syntax", "py_nocollect"]) {
      assertMatch(r.stdout, new RegExp(`^${name}\\s+REFUSED`, "m"));
    }
    assertMatch(
      r.stderr,
      /^mod_syntax: \/.*mod_syntax\/mod\.ts:3:16: SyntaxError: Expected ',', got 'y'$/m,
    );
    assertMatch(
      r.stderr,
      /^mod_nocollect: .*mod_nocollect\/mod\.ts: cannot be loaded: the entry's default export has no collect\(\) function$/m,
    );
    assertMatch(r.stderr, /^py_syntax: .*py_syntax\/plugin\.py:1:\d+: .+$/m);
    assertMatch(
      r.stderr,
      /^py_nocollect: .*py_nocollect\/plugin\.py: defines no collect\(options\) function at the top level$/m,
    );
    assert(!/at file:|\n\s+at /.test(r.stderr), "no stack trace");
    // Python was run without writing bytecode.
    const pyc = [...Deno.readDirSync(join(root, "py_nocollect"))].map((e) => e.name);
    assertEquals(pyc.sort(), ["plugin.py", "plugin.toml"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("plugins check passes good entries without running their init()", async () => {
  const root = await Deno.makeTempDir({ prefix: "sextant-plugins-check-" });
  try {
    await writePlugin(root, "good_mod", MODULE, {
      "mod.ts":
        `export default {\n  init() { throw new Error("init must not run in a check"); },\n  collect: () => [{ name: "n", value: 1 }],\n};\n`,
    });
    await writePlugin(root, "good_py", PYTHON, {
      "plugin.py": "import os\ndef collect(options):\n    return [{'name': 'n', 'value': 1}]\n",
    });
    const r = await check(root);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^good_mod\s+1\.0\.0\s+module/m);
    assertMatch(r.stdout, /^good_py\s+1\.0\.0\s+python/m);
    assertEquals(r.stderr.trim(), "");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
