import { DDSketch } from "@datadog/sketches-js";
import { AggregationEngine, aggregatorSchema, resolveRules } from "../../src/aggregate/mod.ts";
import type { Sample } from "../../src/core/mod.ts";
import { DISTRIBUTIONS } from "../../src/aggregate/testdata/data.ts";
const values = DISTRIBUTIONS.skewed(1_000_000);
const batch: Sample[] = values.map((value, i) => ({ name: "api.latency", value, type: "gauge", attributes: {}, timestamp: Math.floor(i / 1e6 * 299_999) }));
for (let r = 0; r < 5; r++) {
  let t0 = performance.now();
  const d = new DDSketch({ relativeAccuracy: 0.01 });
  for (const v of values) d.accept(v);
  const bare = performance.now() - t0;
  t0 = performance.now();
  const e = new AggregationEngine(resolveRules([aggregatorSchema.parse({ source: "api.latency", type: "percentile", window: "5m" })], { window: 300_000 }));
  for (let i = 0; i < batch.length; i += 1000) e.ingest(batch.slice(i, i + 1000));
  const eng = performance.now() - t0;
  console.log(`bare ${bare.toFixed(1)} ms engine ${eng.toFixed(1)} ms`);
}
