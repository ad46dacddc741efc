import { parse } from "smol-toml";
import { readFile } from "node:fs/promises";
import { detectVersion, migrate, MIGRATIONS } from "./mod.ts";
import { withVersion } from "./migrate.ts";
import { assert, assertEquals, assertStringIncludes } from "./testdata/assert.ts";

// deno-lint-ignore no-explicit-any
const plain = (text: string): Record<string, any> => JSON.parse(JSON.stringify(parse(text)));

const EXAMPLE = await readFile(
  new URL("./testdata/monitor/m8mulprc.toml", import.meta.url),
  "utf8",
);

Deno.test("migrate turns the 0.3 monitor example into a process source and an OTLP/HTTP exporter", () => {
  const r = migrate([{ name: "m8mulprc.toml", text: EXAMPLE }], 4);
  assert(r.ok, r.errors.join("\n"));
  assertEquals(r.applied.map((s) => [s.from, s.to]), [["monitor-0.3", 4]]);
  const doc = plain(r.text!);
  assertEquals(doc.config_version, 4);
  assertEquals(doc.custom_metrics.resource, {
    service_name: "Strategy.M8MulPrc",
    service_namespace: "Strategy",
  });
  assertEquals(doc.custom_metrics.exporters, [{
    type: "otlp",
    endpoint: "http://localhost:4318/v1/metrics",
  }]);
  assertEquals(doc.custom_metrics.sources, [{
    name: "m8mulprc",
    type: "process",
    description: "Multi-Process Controller monitoring",
    // Matching is case-insensitive, so the two spellings are one pattern.
    patterns: ["M8MulPrc"],
    interval: 60,
    collect: ["cpu", "context_switches", "memory", "threads", "io", "fds"],
  }]);
  assertStringIncludes(
    r.text!,
    "# From m8mulprc.toml:\n# Process monitor for the multi-process controller.\n[[custom_metrics.sources]]",
  );
  const text = r.notes.map((n) => `${n.severity}: ${n.message}`);
  assertEquals(text, [
    'warning: m8mulprc.toml:10:40: monitoring.metric_types[3]: "network" is not migrated: Linux does not account network traffic per process in /proc',
    "note: m8mulprc.toml: default_agent_port 4317 is OTLP/gRPC, which Sextant does not export; mapped to OTLP/HTTP on port 4318 (enable the agent's OTLP/HTTP receiver)",
  ]);
});

Deno.test("migrate reports unknown keys with their location instead of dropping them", () => {
  const text = EXAMPLE.replace("[monitoring]\n", "[monitoring]\nalert_threshold = 90\n") +
    "[extra]\nx = 1\n";
  const r = migrate([{ name: "m.toml", text }], 4);
  assert(r.ok);
  const warnings = r.notes.filter((n) => n.severity === "warning").map((n) => n.message);
  assertEquals(warnings.slice(0, 2), [
    "m.toml:8:1: monitoring.alert_threshold: unknown key, not migrated (number 90)",
    "m.toml:16:2: extra: unknown key, not migrated (a table)",
  ]);
});

Deno.test("migrate merges several monitor files into one config", () => {
  const other = EXAMPLE.replaceAll("M8MulPrc", "Gateway").replaceAll("m8mulprc", "gateway")
    .replace("default_interval = 60", "default_interval = 15")
    .replace('"cpu", "memory", "io", "network"', '"memory"')
    .replace("default_agent_port = 4317", "default_agent_port = 4318");
  const r = migrate([{ name: "a.toml", text: EXAMPLE }, { name: "b.toml", text: other }], 4);
  assert(r.ok, r.errors.join("\n"));
  const doc = plain(r.text!);
  const cm = doc.custom_metrics;
  assertEquals(
    cm.sources.map((
      s: { name: string; interval: number; collect: string[]; attributes: unknown },
    ) => [s.name, s.interval, s.collect, s.attributes]),
    [
      ["m8mulprc", 60, ["cpu", "context_switches", "memory", "threads", "io", "fds"], {
        "service.name": "Strategy.M8MulPrc",
      }],
      ["gateway", 15, ["memory", "threads"], { "service.name": "Strategy.Gateway" }],
    ],
  );
  assertEquals(cm.resource, { service_namespace: "Strategy" });
  assertEquals(cm.exporters.length, 1);
});

Deno.test("migrate sends every source to the first file's agent and reports the other agents", () => {
  const other = (name: string, host: string) =>
    EXAMPLE.replaceAll("M8MulPrc", name).replaceAll("m8mulprc", name.toLowerCase())
      .replace('default_agent_host = "localhost"', `default_agent_host = "${host}"`);
  const r = migrate([
    { name: "a.toml", text: EXAMPLE },
    { name: "b.toml", text: other("Gateway", "agent-b.example") },
    { name: "c.toml", text: other("Cache", "localhost") },
  ], 4);
  assert(r.ok, r.errors.join("\n"));
  const doc = plain(r.text!);
  assertEquals(doc.custom_metrics.exporters, [{
    type: "otlp",
    endpoint: "http://localhost:4318/v1/metrics",
  }]);
  assertEquals(doc.custom_metrics.sources.length, 3);
  const warnings = r.notes.filter((n) => n.severity === "warning" && n.message.includes("agent"))
    .map((n) => n.message);
  assertEquals(warnings, [
    'b.toml:12:1: otel_config: agent "http://agent-b.example:4318/v1/metrics" not migrated: every exporter receives every source, so per-file agents cannot be kept; source "gateway" is exported to "http://localhost:4318/v1/metrics" with the others (to keep the split, migrate this file into a config of its own for a second sextant)',
  ]);
});

Deno.test("migrate fills defaults and escapes patterns of a sparse monitor file", () => {
  const r = migrate([{
    name: "conf/my app.toml",
    text: '[metadata]\nprocess_name = "my.app"\n[monitoring]\ndefault_interval = "often"\n',
  }], 4);
  assert(r.ok);
  const doc = plain(r.text!);
  const s = doc.custom_metrics.sources[0];
  assertEquals([s.name, s.patterns, s.interval], ["my_app", ["my\\.app"], undefined]);
  assertEquals(doc.custom_metrics.exporters, undefined);
  const messages = r.notes.map((n) => n.message);
  assertStringIncludes(
    messages.join("\n"),
    'monitoring.default_interval: expected a number of seconds, found string "often"',
  );
  assertStringIncludes(messages.join("\n"), "special characters were escaped");
});

Deno.test("migrate adds config_version to an unversioned file, keeping its comments", () => {
  const text =
    '# my config\n# second line\n\n[custom_metrics]\n# a comment\naggregation_window = "5m"\n';
  const r = migrate([{ name: "a.toml", text }], 4);
  assert(r.ok);
  assertEquals(
    r.text,
    '# my config\n# second line\nconfig_version = 4\n\n[custom_metrics]\n# a comment\naggregation_window = "5m"\n',
  );
  assertEquals(withVersion("[a]\n", 4), "config_version = 4\n\n[a]\n");
});

Deno.test("migrate refuses newer versions, mixed formats and invalid TOML", () => {
  const newer = migrate([{ name: "a.toml", text: "config_version = 9\n" }], 4);
  assertEquals(newer.errors, [
    "a.toml: config_version 9 is newer than this release's (4); upgrade sextant",
  ]);
  const mixed = migrate([{ name: "a.toml", text: EXAMPLE }, {
    name: "b.toml",
    text: "config_version = 4\n",
  }], 4);
  assert(!mixed.ok);
  assertStringIncludes(mixed.errors[0], "files are in different formats");
  const bad = migrate([{ name: "a.toml", text: "[x" }], 4);
  assert(!bad.ok);
  assertStringIncludes(bad.errors[0], "a.toml: invalid TOML: ");
  const current = migrate([{ name: "a.toml", text: "config_version = 4\n" }], 4);
  assertEquals([current.ok, current.applied.length, current.text], [
    true,
    0,
    "config_version = 4\n",
  ]);
});

Deno.test("migration steps form a chain that ends at the current version", () => {
  for (const step of MIGRATIONS) {
    let v: unknown = step.to;
    for (let guard = 0; v !== 4 && guard < 10; guard++) {
      v = MIGRATIONS.find((m) => m.from === v)?.to;
    }
    assertEquals(v, 4, `step from ${step.from} does not reach 4`);
  }
  assertEquals(detectVersion({ metadata: {} }), "monitor-0.3");
  assertEquals(detectVersion({ custom_metrics: {} }), "unversioned");
  assertEquals(detectVersion({ config_version: "4" }), undefined);
});
