/**
 * Fuzzes the config loader with thousands of mutated TOML files: truncated,
 * bytes flipped (invalid UTF-8 included), values of the wrong type, huge
 * arrays, deep nesting, broken interpolation, includes of broken files. Each
 * must give either a valid config or located errors: never a throw, a stack
 * trace or an unlocated message. Seeded, so a failure names its case and
 * replays. `SEXTANT_FUZZ_CASES=50000` runs a longer campaign,
 * `SEXTANT_FUZZ_SEED` another seed.
 */
import { assert } from "./assert.ts";
import { buildDocumentSchema, checkDocument, type Document } from "../src/agent/mod.ts";
import { loadConfig } from "../src/config/mod.ts";
import { platform } from "../src/runtime/mod.ts";
import { builtinSourceKinds } from "../src/sources/mod.ts";

const CASES = Number(Deno.env.get("SEXTANT_FUZZ_CASES") ?? 2000);
const LONG = CASES > 2000;
const SEED = Number(Deno.env.get("SEXTANT_FUZZ_SEED") ?? 20261124);

const DESIGN = await Deno.readTextFile(
  new URL("../src/config/testdata/design_example.toml", import.meta.url),
);
const RICH = `config_version = 4
include = ["conf.d/*.toml"]

[custom_metrics]
aggregation_window = "5m"

[custom_metrics.agent]
default_interval = "30s"
jitter = 0

[custom_metrics.admin]
listen = "127.0.0.1:9465"
token = "\${ADMIN_TOKEN:-s3cr3t-token-value}"

[[custom_metrics.sources]]
name = "api_health"
type = "http"
url = "https://example.com/health"
interval = 15
headers = { Authorization = "Bearer \${API_TOKEN:-x}" }

[[custom_metrics.sources]]
name = "disk"
type = "command"
command = ["df", "-P"]
format = "prometheus"

[[custom_metrics.sources]]
name = "procs"
type = "process"
patterns = ["^nginx", "worker"]

[[custom_metrics.aggregators]]
source = "api_health.response_time"
type = "percentile"
percentiles = [50, 99.9]
window = "5m"

[[custom_metrics.exporters]]
type = "otlp"
endpoint = "http://127.0.0.1:4318"
interval = "10s"
`;
const INCLUDED = `[[custom_metrics.sources]]
name = "host"
type = "system"
collect = ["cpu", "memory"]
interval = "1m"
`;

/** mulberry32: small, fast, good enough to pick mutations. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}
type R = ReturnType<typeof rng>;

const enc = new TextEncoder();
const WRONG = [
  '"abc"',
  "-1",
  "1e400",
  "nan",
  "true",
  "[]",
  "{}",
  '"5 parsecs"',
  "0",
  '""',
  '[1, "a"]',
  "1979-05-27T07:32:00Z",
];
const INTERP = [
  "${",
  "${}",
  "${1X}",
  "${UNSET_SEXTANT_FUZZ}",
  "${X:?boom}",
  "$$",
  "${file:/nonexistent}",
  "${file:}",
  "$",
];

function mutate(base: string, r: R): Uint8Array {
  const lines = base.split("\n");
  switch (r.int(11)) {
    case 0: // truncated
      return enc.encode(base).slice(0, r.int(base.length));
    case 1: { // bytes flipped or inserted, invalid UTF-8 among them
      const b = Array.from(enc.encode(base));
      for (let n = 1 + r.int(4); n > 0; n--) {
        const at = r.int(b.length);
        const byte = r.pick([0xc3, 0xff, 0x80, 0xed, 0xa0, 0x00, 0x22, 0x5b, 0x3d, r.int(256)]);
        if (r.next() < 0.5) b[at] = byte;
        else b.splice(at, 0, byte);
      }
      return new Uint8Array(b);
    }
    case 2: { // a value of the wrong type
      const idx = lines.map((l, i) => (/^\s*[\w."]+\s*=/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (idx.length === 0) return enc.encode(base.slice(0, r.int(base.length)));
      const i = r.pick(idx);
      lines[i] = lines[i].replace(/=.*$/, `= ${r.pick(WRONG)}`);
      return enc.encode(lines.join("\n"));
    }
    case 3: { // a huge array
      // Big arrays cost most of the run; the long campaign (or load_test's 200,000) goes further.
      const n = r.pick(LONG ? [1000, 10_000, 50_000] : [100, 1000, 3000]);
      const item = r.pick(["1", '"x"', '{ name = "q", sql = "s" }', "[]"]);
      return enc.encode(`huge = [${Array(n).fill(item).join(",")}]\n` + base);
    }
    case 4: { // deep nesting: arrays, inline tables or dotted keys
      const d = r.pick([10, 65, 100, 1100, 5000]);
      const kind = r.int(3);
      const deep = kind === 0
        ? `${"[".repeat(d)}${"]".repeat(d)}`
        : kind === 1
        ? `${"{ a = ".repeat(d)}1${" }".repeat(d)}`
        : undefined;
      const text = deep ? `deep = ${deep}\n` : `${Array(d).fill("a").join(".")} = 1\n`;
      return enc.encode(text + base);
    }
    case 5: { // a line deleted, duplicated or swapped
      const i = r.int(lines.length);
      const j = r.int(lines.length);
      const op = r.int(3);
      if (op === 0) lines.splice(i, 1);
      else if (op === 1) lines.splice(i, 0, lines[j]);
      else [lines[i], lines[j]] = [lines[j], lines[i]];
      return enc.encode(lines.join("\n"));
    }
    case 6: { // broken interpolation inside a string
      const idx = lines.map((l, i) => (/= ".*"/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (idx.length === 0) return enc.encode(base.slice(0, r.int(base.length)));
      const i = r.pick(idx);
      lines[i] = lines[i].replace(/"$/, `${r.pick(INTERP)}"`);
      return enc.encode(lines.join("\n"));
    }
    case 7: { // a key misspelt
      const idx = lines.map((l, i) => (/^\s*\w+\s*=/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (idx.length === 0) return enc.encode(base.slice(0, r.int(base.length)));
      const i = r.pick(idx);
      lines[i] = lines[i].replace(/^(\s*)(\w)(\w)/, "$1$3$2");
      return enc.encode(lines.join("\n"));
    }
    case 8: // include and extends pointing at odd places
      return enc.encode(
        `${r.pick(["include", "extends"])} = ${
          r.pick([
            '"main.toml"',
            '["main.toml"]',
            '["/nonexistent/*.toml"]',
            "[1]",
            '"/"',
            '["conf.d"]',
            '"../../../../etc/hostname"',
          ])
        }\n` + base,
      );
    case 9: // random garbage lines
      lines.splice(
        r.int(lines.length),
        0,
        r.pick([
          "[[",
          "]]",
          "[a.b",
          "= 1",
          "x = ",
          'x = """',
          "[custom_metrics.sources]",
          "[[custom_metrics]]",
          "x.y = 1\nx = 2",
          "\u{1F600} = 1",
          "'''",
        ]),
      );
      return enc.encode(lines.join("\n"));
    default: // several mutations at once
      return mutate(new TextDecoder().decode(mutate(base, r)), r);
  }
}

// Built once: the loader under test is the same as `loadDocument`'s, minus rebuilding the schema.
const SCHEMA = buildDocumentSchema(builtinSourceKinds) as never;
const LOCATED = /^[^\n]+:\d+:\d+: [^\n]+$/;

Deno.test("config loader survives thousands of mutated files with located errors only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-fuzz-" });
  await Deno.mkdir(`${dir}/conf.d`);
  const main = `${dir}/main.toml`;
  const inc = `${dir}/conf.d/10-host.toml`;
  const r = rng(SEED);
  let valid = 0;
  let invalid = 0;
  try {
    for (let n = 0; n < CASES; n++) {
      const which = r.int(3);
      const base = which === 0 ? DESIGN : RICH;
      // Half the RICH cases break the included file instead of the main one.
      const broken = which === 2 ? "include" : "main";
      const bytes = mutate(broken === "include" ? INCLUDED : base, r);
      await Deno.writeFile(main, broken === "include" ? enc.encode(base) : bytes);
      await Deno.writeFile(inc, broken === "include" ? bytes : enc.encode(INCLUDED));
      const what = `case ${n} (seed ${SEED}, ${broken})`;
      let result;
      try {
        result = await loadConfig<Document>({
          files: [main],
          schema: SCHEMA,
          platform,
          check: (doc) => checkDocument(doc, builtinSourceKinds),
        });
      } catch (err) {
        throw new Error(`${what}: the loader threw: ${(err as Error).stack}`);
      }
      if (result.ok) {
        assert(result.config !== undefined, `${what}: ok without a config`);
        valid++;
        continue;
      }
      invalid++;
      assert(result.errors.length > 0, `${what}: not ok and no error`);
      for (const e of [...result.errors, ...result.warnings]) {
        const m = e.message;
        assert(LOCATED.test(m), `${what}: unlocated or multi-line message: ${JSON.stringify(m)}`);
        assert(e.line >= 1 && e.col >= 1, `${what}: bad position in ${m}`);
        assert(!/\bat .*\.ts:\d+|undefined|\[object Object\]/.test(m), `${what}: ${m}`);
        // Includes may point anywhere (`../../etc/hostname`), but always at a named file.
        assert(e.file.startsWith("/"), `${what}: file ${JSON.stringify(e.file)}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(`${CASES} cases: ${valid} valid, ${invalid} with located errors`);
  // The mutations must exercise both outcomes, or the fuzzer tests nothing.
  assert(valid > CASES * 0.02 && invalid > CASES * 0.5, `valid ${valid}, invalid ${invalid}`);
});
