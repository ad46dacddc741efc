import { parse } from "smol-toml";
import { ConfigError } from "../core/mod.ts";
import { parseLayer } from "./layer.ts";
import { renderConfig } from "./render.ts";
import { assert, assertEquals } from "./testdata/assert.ts";
import { loadFiles } from "./testdata/helpers.ts";

const parts = (n: number, part = "a") => Array(n).fill(part).join(".");

Deno.test("parseLayer rejects keys and tables nested deeper than 64 levels, at the first level too many", () => {
  const cases: [string, string][] = [
    [`${parts(8001)} = 1\n`, "a.toml:1:129: a.a.a...: nesting deeper than 64 levels"],
    [`[${parts(8001)}]\n`, "a.toml:1:130: a.a.a...: nesting deeper than 64 levels"],
    [`[[${parts(8001)}]]\nx = 1\n`, "a.toml:1:131: a.a.a...: nesting deeper than 64 levels"],
    [`x = { ${parts(8001)} = 1 }\n`, "a.toml:1:133: x.a.a...: nesting deeper than 64 levels"],
    [
      `x = ${"[".repeat(900)}${"]".repeat(900)}\n`,
      "a.toml:1:69: x[0][0]...: nesting deeper than 64 levels",
    ],
    [
      `x = ${"{a=".repeat(900)}1${"}".repeat(900)}\n`,
      "a.toml:1:195: x.a.a...: nesting deeper than 64 levels",
    ],
    // Each `[[t.t...]]` adds a key and an index; the 33rd header reaches level 65.
    [
      Array.from({ length: 40 }, (_, k) => `[[${parts(k + 1, "t")}]]\n`).join(""),
      "a.toml:33:67: t[0].t...: nesting deeper than 64 levels",
    ],
    [
      `[srv]\nx = [{ y = [${"[".repeat(70)}${"]".repeat(70)}] }]\n`,
      "a.toml:2:73: srv.x[0]...: nesting deeper than 64 levels",
    ],
  ];
  for (const [text, expected] of cases) {
    const r = parseLayer("a.toml", text, "/");
    assertEquals(r.layer, undefined);
    assertEquals(r.errors.map((e) => e.message), [expected]);
    assert(r.errors[0] instanceof ConfigError);
  }
  // Over 1000 levels of arrays or inline tables, smol-toml stops first.
  const arrays = parseLayer("a.toml", `x = ${"[".repeat(5000)}${"]".repeat(5000)}\n`, "/");
  assertEquals(arrays.errors.map((e) => e.message), [
    "a.toml:1:1005: invalid TOML: document contains excessively nested structures. aborting.",
  ]);
  const e = parseLayer("a.toml", `${parts(100)} = 1\n`, "/").errors[0];
  assertEquals([e.line, e.col, e.path, e.detail], [
    1,
    129,
    "a.a.a...",
    "nesting deeper than 64 levels",
  ]);
});

Deno.test("parseLayer stays fast on keys and headers of 200,000 parts", () => {
  const started = performance.now();
  const cases: [string, string][] = [
    [`${parts(200_000)} = [1, 2]\n`, "a.toml:1:129: a.a.a...: nesting deeper than 64 levels"],
    [`[${parts(200_000)}]\nx = [1]\n`, "a.toml:1:130: a.a.a...: nesting deeper than 64 levels"],
  ];
  for (const [text, expected] of cases) {
    assertEquals(parseLayer("a.toml", text, "/").errors.map((e) => e.message), [expected]);
  }
  const ms = performance.now() - started;
  assert(ms < 5_000, `took ${Math.round(ms)} ms`);
});

Deno.test("loadConfig accepts 64 levels, validates and renders them", async () => {
  const text = `${parts(64)} = 1\nx = ${"[".repeat(63)}1${"]".repeat(63)}\n[custom_metrics]\n`;
  const r = await loadFiles({ "a.toml": text });
  assertEquals(r.messages, [
    'a.toml:1:1: a: unknown key "a"; allowed keys: "config_version", "custom_metrics"',
    'a.toml:2:1: x: unknown key "x"; allowed keys: "config_version", "custom_metrics"',
  ]);
  assertEquals(parse(renderConfig(r.raw)), parse(text));
  const one = parseLayer("a.toml", `x = ${"[".repeat(64)}1${"]".repeat(64)}\n`, "/");
  assertEquals(one.errors.map((e) => e.message), [
    "a.toml:1:69: x[0][0]...: nesting deeper than 64 levels",
  ]);
});

Deno.test("loadConfig reports a too deep second file and does not validate the first", async () => {
  const r = await loadFiles({
    "a.toml": "[custom_metrics]\nbogus = 1\n",
    "b.toml": `# deep\n${parts(65, "k")} = true\n`,
  });
  assertEquals(r.messages, ["b.toml:2:129: k.k.k...: nesting deeper than 64 levels"]);
  assertEquals(r.raw, { custom_metrics: { bogus: 1 } });
});
