import { z } from "zod";
import { assertEquals } from "../../tests/assert.ts";
import type { SourceKind } from "../core/mod.ts";
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
