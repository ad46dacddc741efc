import { Redactor } from "../core/mod.ts";
import { parseTemplate } from "./interpolate.ts";
import { renderConfig } from "./mod.ts";
import { assert, assertEquals, assertStringIncludes } from "./testdata/assert.ts";
import { loadFiles } from "./testdata/helpers.ts";

const HTTP = (url: string, extra = "") =>
  `[[custom_metrics.sources]]\nname = "api"\ntype = "http"\nurl = "${url}"\n${extra}`;

Deno.test("interpolation substitutes variables, defaults and $$ inside strings", async () => {
  const r = await loadFiles({
    "a.toml": "[custom_metrics]\n" +
      HTTP("https://${HOST}:${PORT:-8443}/$$x/${EMPTY:-dflt}", 'headers = { A = "cost $5" }\n'),
  }, { env: { HOST: "api.example", EMPTY: "" } });
  assertEquals(r.messages, []);
  const src = r.config!.custom_metrics.sources[0] as {
    url: string;
    headers: Record<string, string>;
  };
  assertEquals(src.url, "https://api.example:8443/$x/dflt");
  assertEquals(src.headers.A, "cost $5");
  assertEquals(r.secrets, ["api.example"]);
});

Deno.test("interpolation never injects TOML structure", async () => {
  const evil = 'x"\n[[custom_metrics.sources]]\nname = "injected';
  const r = await loadFiles({ "a.toml": "[custom_metrics]\n" + HTTP("${EVIL}") }, {
    env: { EVIL: evil },
  });
  assertEquals(r.messages, []);
  const sources = r.config!.custom_metrics.sources;
  assertEquals(sources.length, 1);
  assertEquals((sources[0] as { url: string }).url, evil);
});

Deno.test("interpolation reports an unset variable at its file, line and key", async () => {
  const r = await loadFiles({
    "a.toml": "[custom_metrics]\n" + HTTP("${API_URL:?set API_URL to the health endpoint}") +
      'headers = { Authorization = "${TOKEN}" }\n',
  });
  assertEquals(r.messages, [
    "a.toml:5:1: custom_metrics.sources[0].url: environment variable API_URL is not set: set API_URL to the health endpoint",
    "a.toml:6:13: custom_metrics.sources[0].headers.Authorization: environment variable TOKEN is not set (use ${TOKEN:-default} for a default)",
  ]);
});

Deno.test("interpolation reports malformed references", async () => {
  const r = await loadFiles({
    "a.toml": "[custom_metrics]\n" + HTTP("${1BAD}") + 'headers = { B = "${OPEN" }\n',
  });
  assertEquals(r.messages.length, 2, r.messages.join("\n"));
  assertStringIncludes(
    r.messages[0],
    'a.toml:5:1: custom_metrics.sources[0].url: invalid reference "${1BAD}"',
  );
  assertStringIncludes(r.messages[1], 'headers.B: unterminated "${OPEN"; write $$ for a literal $');
});

Deno.test("interpolation reads secrets from files, trimming one trailing newline", async () => {
  const r = await loadFiles({
    "a.toml": "[custom_metrics]\n" +
      HTTP("https://h/", 'headers = { Authorization = "Bearer ${file:secrets/tok}" }\n'),
    "secrets/tok": "Sup3rS3cretT0ken\n",
  }, { load: ["a.toml"] });
  assertEquals(r.messages, []);
  const src = r.config!.custom_metrics.sources[0] as { headers: Record<string, string> };
  assertEquals(src.headers.Authorization, "Bearer Sup3rS3cretT0ken");
  assertEquals(r.secrets, ["Sup3rS3cretT0ken"]);
  const missing = await loadFiles({
    "a.toml": "[custom_metrics]\n" + HTTP("${file:/nonexistent/sextant-secret}"),
  });
  assertEquals(missing.messages, [
    "a.toml:5:1: custom_metrics.sources[0].url: ${file:/nonexistent/sextant-secret}: cannot read secret file: no such file",
  ]);
});

Deno.test("interpolated values are secrets in config print unless declared public", async () => {
  const r = await loadFiles({
    "a.toml": 'public_env = ["REGION"]\n[custom_metrics]\n' +
      HTTP("https://${REGION}.example/?k=${APIKEY}"),
  }, { env: { REGION: "eu-west-7", APIKEY: "Xq9-recognisable-Key" } });
  assertEquals(r.messages, []);
  assertEquals(r.secrets, ["Xq9-recognisable-Key"]);
  const redactor = new Redactor();
  for (const s of r.secrets) redactor.add(s);
  const text = renderConfig(r.raw, redactor);
  assert(!text.includes("Xq9-recognisable-Key"), text);
  assertStringIncludes(text, "https://eu-west-7.example/?k=***");
  assert(!("public_env" in r.raw));
});

Deno.test("parseTemplate keeps a lone $ and SQL placeholders literal", () => {
  assertEquals(parseTemplate("WHERE a > $1 AND b = $"), [
    { kind: "text", text: "WHERE a > $1 AND b = $" },
  ]);
  assertEquals(parseTemplate("${file:}"), { error: '${file:}: expected a path after "file:"' });
});

Deno.test("interpolation expands references nested in defaults", async () => {
  const url = "https://${A:-${B:-${C:-fallback.example}}}/x";
  const load = (env: Record<string, string>) =>
    loadFiles({ "a.toml": "[custom_metrics]\n" + HTTP(url) }, { env });
  const urlOf = (r: Awaited<ReturnType<typeof load>>) =>
    (r.config?.custom_metrics.sources[0] as { url: string } | undefined)?.url;
  assertEquals(urlOf(await load({ A: "a.example" })), "https://a.example/x");
  assertEquals(urlOf(await load({ B: "b.example" })), "https://b.example/x");
  const c = await load({ C: "c.example" });
  assertEquals([urlOf(c), c.secrets], ["https://c.example/x", ["c.example"]]);
  assertEquals(urlOf(await load({})), "https://fallback.example/x");
  const unset = await loadFiles({ "a.toml": "[custom_metrics]\n" + HTTP("https://${A:-${B}}/") });
  assertEquals(unset.messages, [
    "a.toml:5:1: custom_metrics.sources[0].url: environment variable B is not set (use ${B:-default} for a default)",
  ]);
  const deep = "${A:-".repeat(9) + "x" + "}".repeat(9);
  const tooDeep = await loadFiles({ "a.toml": "[custom_metrics]\n" + HTTP(deep) });
  assertEquals(tooDeep.messages.length, 1);
  assertStringIncludes(
    tooDeep.messages[0],
    'a.toml:5:1: custom_metrics.sources[0].url: "${A:-${A:-',
  );
  assertStringIncludes(tooDeep.messages[0], "references nest deeper than 8");
  assertEquals(parseTemplate("${A:-${B}"), {
    error: 'unterminated "${A:-${B}"; write $$ for a literal $',
  });
});

Deno.test("interpolation reads a secret file named in a nested default", async () => {
  const r = await loadFiles({
    "a.toml": "[custom_metrics]\n" +
      HTTP("https://h/", 'headers = { A = "${TOK:-${file:tok.txt}}" }\n'),
    "tok.txt": "from-file-4711\n",
  }, { load: ["a.toml"] });
  assertEquals(r.messages, []);
  assertEquals(
    (r.config!.custom_metrics.sources[0] as { headers: Record<string, string> }).headers.A,
    "from-file-4711",
  );
  assertEquals(r.secrets, ["from-file-4711"]);
});

// An aggregator whose percentile is a string: "expected a number, found string ...".
const AGG = (p: string) =>
  `[[custom_metrics.aggregators]]\nsource = "x"\ntype = "sma"\nwindow = "5m"\npercentiles = ["${p}"]\n`;

Deno.test("interpolation masks a whole interpolated value quoted in an error, URLs too", async () => {
  const r = await loadFiles({ "a.toml": "[custom_metrics]\n" + AGG("${CONN}") }, {
    env: { CONN: "leakFour://u:pw4444@h/db" },
  });
  assertEquals(r.messages.length, 1, r.messages.join("\n"));
  assertStringIncludes(r.messages[0], 'found string "***"');
  for (const part of ["leakFour", "pw4444", "u:", "h/db"]) {
    assert(!r.messages[0].includes(part), r.messages[0]);
  }
  const long = await loadFiles({ "a.toml": "[custom_metrics]\n" + AGG("x${CONN}") }, {
    env: { CONN: "ftp://" + "s".repeat(80) },
  });
  assert(!long.messages[0].includes("sss"), long.messages[0]);
});

Deno.test("interpolation hands the secret files it read, or tried to, to the reload watch", async () => {
  const r = await loadFiles({
    "a.toml": "[custom_metrics]\n" +
      HTTP("https://h/", 'headers = { A = "${file:s/tok.txt}", B = "${file:/nonexistent/x}" }\n'),
    "s/tok.txt": "tok-4711\n",
  }, { load: ["a.toml"] });
  assertEquals(
    r.watch.files.sort(),
    [`${r.dir}/a.toml`, `${r.dir}/s/tok.txt`, "/nonexistent/x"].sort(),
  );
});
