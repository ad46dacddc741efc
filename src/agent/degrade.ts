/**
 * Graceful degradation: what a source exports when a collection failed or
 * was skipped by its open breaker: nothing but the run's own diagnostics
 * (`drop`), its last good values marked `stale="true"` until `stale_after`
 * (`last_value`), or another source's last good values under its own names
 * (`fallback`, while open).
 *
 * `last_value` works per metric: a failed run serves its diagnostics (such
 * as `up = 0`) fresh and every other metric of its last good runs stale; a
 * partial run (some items failed) serves what it got fresh and the metrics
 * it did not report stale.
 * @module
 */
import type { Sample } from "../core/mod.ts";
import type { CollectionResult, SourceRunner } from "./runner.ts";

/** The samples to export for one run, and what they are. */
export interface Served {
  samples: Sample[];
  /**
   * "fresh"; "fresh+stale" (a partial run, completed with stale metrics);
   * "stale"; "fallback:<source>"; or "none" (a failed run: its diagnostics only).
   */
  serving: string;
}

/**
 * Decides what to export for `result`.
 *
 * @example Serving the last value of a failed source
 * ```ts
 * const { samples, serving } = degrade(runner, result, (n) => runners.get(n), clock.now());
 * ```
 */
export function degrade(
  runner: SourceRunner,
  result: CollectionResult,
  lookup: (name: string) => SourceRunner | undefined,
  now: number,
): Served {
  const c = runner.config;
  const lastValue = c.on_failure === "last_value";
  if (!result.failed) {
    if (result.errors.length === 0 || !lastValue) {
      return { samples: result.samples, serving: "fresh" };
    }
    const stale = staleValues(runner, result.samples, now);
    return stale.length === 0
      ? { samples: result.samples, serving: "fresh" }
      : { samples: [...result.samples, ...stale], serving: "fresh+stale" };
  }
  if (c.fallback && runner.breaker?.state === "open") {
    const other = lookup(c.fallback);
    if (other) {
      const from = `${c.fallback}.`;
      const samples: Sample[] = [];
      for (const good of other.lastGood.values()) {
        if (now - good.at > c.stale_after) continue;
        for (const s of good.samples) {
          if (!s.name.startsWith(from)) continue;
          samples.push({
            ...s,
            name: `${c.name}.${s.name.slice(from.length)}`,
            attributes: { ...s.attributes, fallback: c.fallback },
            timestamp: now,
          });
        }
      }
      if (samples.length > 0) return { samples, serving: `fallback:${c.fallback}` };
    }
  }
  // A run the open breaker skipped repeats the diagnostics of the last failed one (`up = 0`).
  const diagnostics = result.skipped
    ? runner.diagnostics.filter((s) => s.type !== "histogram").map((s) => ({
      ...s,
      timestamp: now,
    }))
    : result.samples;
  if (lastValue) {
    const stale = staleValues(runner, diagnostics, now);
    if (stale.length > 0) return { samples: [...diagnostics, ...stale], serving: "stale" };
  }
  return { samples: diagnostics, serving: "none" };
}

/** The last good values, marked stale, of the metrics `fresh` does not report. */
function staleValues(runner: SourceRunner, fresh: Sample[], now: number): Sample[] {
  const reported = new Set(fresh.map((s) => s.name));
  const out: Sample[] = [];
  for (const [name, good] of runner.lastGood) {
    if (reported.has(name) || now - good.at > runner.config.stale_after) continue;
    for (const s of good.samples) {
      if (s.type === "histogram") continue; // a histogram sample re-recorded would count twice
      out.push({ ...s, attributes: { ...s.attributes, stale: "true" }, timestamp: now });
    }
  }
  return out;
}
