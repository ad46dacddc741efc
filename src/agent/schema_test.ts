import { z } from "zod";
import { assertEquals } from "../../tests/assert.ts";
import type { SourceKind } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { loadDocument } from "./load.ts";
import { buildDocumentSchema, checkDocument, resolveSource, type SourceTable } from "./schema.ts";

const kind: SourceKind = {
  type: "t",
  description: "test",
  fields: { x: z.number().optional() },
  create: () => {
    throw new Error("not used");
  },
};
const schema = buildDocumentSchema([kind]);

function issues(sources: unknown[], extra: Record<string, unknown> = {}) {
  const doc = schema.parse({ custom_metrics: { sources, ...extra } });
  return checkDocument(doc, [kind]).map((i) => `${i.path.join(".")}: ${i.message}`);
}

Deno.test("schema merges a source's breaker over the agent's and fills degradation defaults", () => {
  const doc = schema.parse({
    custom_metrics: {
      agent: { breaker: { failure_threshold: 7, cooldown: "1m" }, stale_after: "2m" },
      sources: [{ name: "a", type: "t", breaker: { cooldown: "5s" }, on_failure: "last_value" }],
    },
  });
  const r = resolveSource(doc.custom_metrics.sources[0] as SourceTable, doc.custom_metrics.agent);
  assertEquals(r.breaker.failure_threshold, 7);
  assertEquals(r.breaker.cooldown, 5_000);
  assertEquals(r.breaker.max_cooldown, 600_000);
  assertEquals([r.on_failure, r.stale_after, r.max_series], ["last_value", 120_000, 10_000]);
});

Deno.test("schema rejects a fallback to itself, to an unknown source, or to a source with its own fallback", () => {
  assertEquals(issues([{ name: "a", type: "t", fallback: "a" }]), [
    "custom_metrics.sources.0.fallback: a source cannot be its own fallback",
  ]);
  assertEquals(issues([{ name: "a", type: "t", fallback: "nope" }]), [
    'custom_metrics.sources.0.fallback: fallback "nope" is not a configured source',
  ]);
  assertEquals(
    issues([
      { name: "a", type: "t", fallback: "b" },
      { name: "b", type: "t", fallback: "c" },
      { name: "c", type: "t" },
    ]),
    [
      'custom_metrics.sources.0.fallback: fallback "b" has a fallback of its own; chains are not followed',
    ],
  );
  assertEquals(issues([{ name: "a", type: "t", fallback: "b" }, { name: "b", type: "t" }]), []);
  assertEquals(
    issues([
      { name: "a", type: "t", fallback: "b", breaker: { enabled: false } },
      { name: "b", type: "t" },
    ]),
    [
      "custom_metrics.sources.0.fallback: a fallback is used while the circuit breaker is open; this source's breaker is turned off",
    ],
  );
});

Deno.test("schema parses memory limits as sizes and rejects what is not one", () => {
  const doc = schema.parse({
    custom_metrics: { limits: { soft_memory: "512MiB", hard_memory: 2_000_000_000 } },
  });
  assertEquals(doc.custom_metrics.limits.soft_memory, 512 * 2 ** 20);
  assertEquals(doc.custom_metrics.limits.hard_memory, 2_000_000_000);
  assertEquals(doc.custom_metrics.limits.check_interval, 10_000);
  const bad = schema.safeParse({ custom_metrics: { limits: { soft_memory: "lots" } } });
  assertEquals(bad.success, false);
  assertEquals(
    bad.error!.issues[0].message,
    'expected a size such as 536870912, "512MiB" or "2GB", found "lots"',
  );
  const bad2 = schema.safeParse({ custom_metrics: { limits: { hard_memory: true } } });
  assertEquals(
    bad2.error!.issues[0].message,
    'expected a size: a number of bytes or a string like "512MiB"',
  );
});

const fieldKind: SourceKind = {
  type: "t",
  description: "test",
  fields: { x: z.number().optional(), command: z.array(z.string()).optional() },
  create: () => {
    throw new Error("not used");
  },
  check: (s) =>
    (s as { x?: number }).x === 13 ? [{ path: ["x"], message: "x must not be 13" }] : [],
};

/** Every error message of `text` loaded from a real file through the real loader. */
async function validateText(text: string): Promise<{ errors: string[]; warnings: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "sextant-schema-" });
  try {
    await Deno.writeTextFile(`${dir}/a.toml`, text);
    const r = await loadDocument([`${dir}/a.toml`], [fieldKind], platform);
    const strip = (m: string) => m.replaceAll(`${dir}/`, "");
    return {
      errors: r.errors.map((e) => strip(e.message)),
      warnings: r.warnings.map((e) => strip(e.message)),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("schema reports cross-field errors together with schema errors", async () => {
  const r = await validateText(`[custom_metrics.admin]
listen = "127.0.0.1:9500"
[[custom_metrics.sources]]
name = "s"
type = "t"
interval = "2m"
descripton = "x"
[[custom_metrics.sources]]
name = "s"
type = "t"
x = "text"
[[custom_metrics.sources]]
name = "u"
type = "t"
x = 13
[[custom_metrics.aggregators]]
type = "sma"
source = "s.*"
window = "1m"
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:9500"
`);
  assertEquals(r.errors, [
    "a.toml:2:1: custom_metrics.admin.listen: 127.0.0.1:9500 is already used by custom_metrics.exporters[0].listen",
    'a.toml:7:1: custom_metrics.sources[0].descripton: unknown key "descripton" (did you mean "description"?)',
    'a.toml:9:1: custom_metrics.sources[1].name: duplicate source name "s" (first used by sources[0])',
    'a.toml:11:1: custom_metrics.sources[1].x: expected a number, found string "text"',
    "a.toml:15:1: custom_metrics.sources[2].x: x must not be 13",
    'a.toml:19:1: custom_metrics.aggregators[0].window: window 1m is shorter than the interval 2m of source "s": most windows would hold no sample',
  ]);
});

Deno.test("schema makes up no cross-field error from a default that stands in for a broken key", async () => {
  // intervall = "10s" was meant as the interval: the default 60 s must not fail the 30 s window;
  // the exporter's misspelt listen must not clash at the default port; a source left out
  // (unknown type) must not make its name "not configured".
  const r = await validateText(`[custom_metrics.admin]
listen = "127.0.0.1:9464"
[[custom_metrics.sources]]
name = "a"
type = "t"
intervall = "10s"
fallback = "b"
[[custom_metrics.sources]]
name = "b"
type = "nope"
[[custom_metrics.aggregators]]
type = "sma"
source = "a"
window = "30s"
[[custom_metrics.aggregators]]
type = "sma"
source = "b"
[[custom_metrics.exporters]]
type = "prometheus"
listn = "127.0.0.1:9500"
`);
  assertEquals(
    r.errors.map((e) => e.replace(/ \(did you mean.*|; (expected one of|allowed keys).*/, "")),
    [
      'a.toml:6:1: custom_metrics.sources[0].intervall: unknown key "intervall"',
      'a.toml:10:1: custom_metrics.sources[1].type: unknown source type "nope"',
      'a.toml:20:1: custom_metrics.exporters[0].listn: unknown key "listn"',
    ],
  );
  assertEquals(r.warnings, []);
});

Deno.test("schema makes up no cross-field error from a string whose interpolation failed", async () => {
  // Both names would be "api" with the variables unset: not a duplicate anyone wrote. The
  // duplicate "s" is real.
  const r = await validateText(`[[custom_metrics.sources]]
name = "api\${SEXTANT_TEST_UNSET_A}"
type = "t"
[[custom_metrics.sources]]
name = "api\${SEXTANT_TEST_UNSET_B}"
type = "t"
[[custom_metrics.sources]]
name = "s"
type = "t"
[[custom_metrics.sources]]
name = "s"
type = "t"
`);
  assertEquals(r.errors.map((e) => e.replace(/ \(use .*/, "")), [
    "a.toml:2:1: custom_metrics.sources[0].name: environment variable SEXTANT_TEST_UNSET_A is not set",
    "a.toml:5:1: custom_metrics.sources[1].name: environment variable SEXTANT_TEST_UNSET_B is not set",
    'a.toml:11:1: custom_metrics.sources[3].name: duplicate source name "s" (first used by sources[2])',
  ]);
});

Deno.test("schema names other items by the index they were written at when one is left out", async () => {
  const r = await validateText(`[[custom_metrics.exporters]]
type = "nope"
[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:9600"
[[custom_metrics.exporters]]
type = "prometheus"
name = "b"
listen = "127.0.0.1:9600"
`);
  assertEquals(r.errors.length, 2, r.errors.join("\n"));
  assertEquals(
    r.errors[1],
    "a.toml:9:1: custom_metrics.exporters[2].listen: 127.0.0.1:9600 is already used by custom_metrics.exporters[1].listen",
  );
});
