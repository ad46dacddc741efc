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
