import { parse as parseToml } from "smol-toml";
import { buildDocumentSchema, checkDocument } from "../agent/mod.ts";
import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { builtinSourceKinds } from "../sources/mod.ts";
import type { SourceKind } from "../core/mod.ts";
import { configFor, schemaIssues } from "../../tests/support/source_harness.ts";
import { pluginKind } from "./plugin_kind.ts";

const kinds = [...builtinSourceKinds, pluginKind as unknown as SourceKind];

Deno.test("pluginKind sample.toml validates", async () => {
  const doc = parseToml(await Deno.readTextFile(new URL("./sample.toml", import.meta.url)));
  const parsed = buildDocumentSchema(kinds).safeParse(doc);
  assertEquals(parsed.success, true, JSON.stringify(parsed.error?.issues));
  assertEquals(checkDocument(parsed.data!, kinds), []);
});

Deno.test("pluginKind README shows sample.toml", async () => {
  const sample = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  assertStringIncludes(readme, sample.trim());
});

Deno.test("pluginKind rejects bad fields and registers secrets", () => {
  assertEquals(schemaIssues(pluginKind, {}), [
    "plugin: Invalid input: expected string, received undefined",
  ]);
  assertEquals(schemaIssues(pluginKind, { plugin: "x", permissions: { disk: true } }).length, 1);
  const c = configFor(pluginKind, {
    plugin: "x",
    env: { API_TOKEN: "tok-123", MODE: "fast" },
    options: { password: "pw-456", limit: 3 },
    restart_backoff: 10,
    restart_backoff_max: 5,
  });
  assertEquals(pluginKind.secrets!(c).sort(), ["pw-456", "tok-123"]);
  assertEquals(pluginKind.check!(c), [{
    path: ["restart_backoff"],
    message: "restart_backoff (10000 ms) must not exceed restart_backoff_max (5000 ms)",
  }]);
});

Deno.test("pluginKind config/examples/plugins.toml validates", async () => {
  const doc = parseToml(
    await Deno.readTextFile(new URL("../../config/examples/plugins.toml", import.meta.url)),
  );
  const parsed = buildDocumentSchema(kinds).safeParse(doc);
  assertEquals(parsed.success, true, JSON.stringify(parsed.error?.issues));
  assertEquals(checkDocument(parsed.data!, kinds), []);
});

Deno.test("pluginKind memory_limit accepts 0 (off) or at least 16 MiB, and has no fixed default", () => {
  assertEquals(schemaIssues(pluginKind, { plugin: "x", memory_limit: 8 }), [
    "memory_limit: expected 0 (no limit) or at least 16 (MiB)",
  ]);
  assertEquals(schemaIssues(pluginKind, { plugin: "x", memory_limit: 0 }), []);
  assertEquals(configFor(pluginKind, { plugin: "x", memory_limit: 0 }).memory_limit, 0);
  // The default depends on the plugin's kind (256 MiB heap for modules, 1024 MiB data for exec).
  assertEquals(configFor(pluginKind, { plugin: "x" }).memory_limit, undefined);
});
