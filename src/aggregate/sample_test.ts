import { parse } from "smol-toml";
import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { checkAggregators, resolveRules } from "./rules.ts";
import { aggregatorSchema } from "./schema.ts";

Deno.test("aggregate sample.toml parses, validates and resolves", async () => {
  const text = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const doc = parse(text) as { custom_metrics: { aggregators: unknown[] } };
  const rules = doc.custom_metrics.aggregators.map((a) => aggregatorSchema.parse(a));
  const sources = ["api_health", "database_metrics", "system", "api"].map((name) => ({
    name,
    interval: 60_000,
  }));
  assertEquals(checkAggregators(rules, { window: 300_000, sources }), []);
  const resolved = resolveRules(rules, { window: 300_000 });
  assertEquals(
    resolved.map((r) => [r.id, r.type, r.window, r.panes]),
    [
      ["api_health.response_time:percentile", "percentile", 300_000, 1],
      ["api_health.response_time.sliding", "percentile", 300_000, 10],
      ["database_metrics.*:stats", "stats", 600_000, 1],
      ["system.load1:ewma", "ewma", 300_000, 1],
      ["system.load1:sma", "sma", 900_000, 10],
      ["api.error_pct", "derived", 300_000, 1],
    ],
  );
});

Deno.test("aggregate README shows sample.toml as it is", async () => {
  const sample = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  assertStringIncludes(readme, "```toml\n" + sample + "```");
});
