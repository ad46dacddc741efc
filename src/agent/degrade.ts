/**
 * Graceful degradation: what a source exports when a collection failed or
 * was skipped by its open breaker: nothing (`drop`), its last good values
 * marked `stale="true"` until `stale_after` (`last_value`), or another
 * source's last good values under its own names (`fallback`, while open).
 * @module
 */
import type { Sample } from "../core/mod.ts";
import type { CollectionResult, SourceRunner } from "./runner.ts";

/** The samples to export for one run, and what they are. */
export interface Served {
  samples: Sample[];
  /** "fresh", "stale", "fallback:<source>" or "none". */
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
  if (!result.failed) return { samples: result.samples, serving: "fresh" };
  const c = runner.config;
  if (c.fallback && runner.breaker?.state === "open") {
    const other = lookup(c.fallback)?.lastGood;
    if (other && now - other.at <= c.stale_after) {
      const from = `${c.fallback}.`;
      const samples = other.samples
        .filter((s) => s.name.startsWith(from))
        .map((s) => ({
          ...s,
          name: `${c.name}.${s.name.slice(from.length)}`,
          attributes: { ...s.attributes, fallback: c.fallback! },
          timestamp: now,
        }));
      return { samples, serving: `fallback:${c.fallback}` };
    }
  }
  const last = runner.lastGood;
  if (c.on_failure === "last_value" && last && now - last.at <= c.stale_after) {
    const samples = last.samples
      .filter((s) => s.type !== "histogram") // a histogram sample re-recorded would count twice
      .map((s) => ({ ...s, attributes: { ...s.attributes, stale: "true" }, timestamp: now }));
    return { samples, serving: "stale" };
  }
  return { samples: [], serving: "none" };
}
