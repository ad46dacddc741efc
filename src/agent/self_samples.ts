/**
 * One way to build `sextant.*` self-metric samples, shared by the agent and
 * the aggregation driver.
 * @module
 */
import type { Sample } from "../core/mod.ts";

/** Adds one self-metric sample named `<prefix><name>`. */
export type SelfSampleAdder = (
  name: string,
  value: number,
  type: Sample["type"],
  attributes: Record<string, string>,
  unit?: string,
) => void;

/**
 * Returns an adder that pushes samples stamped `now` into `out`.
 *
 * @example Two gauges
 * ```ts
 * const out: Sample[] = [];
 * const add = selfSampleAdder(out, "sextant.", Date.now());
 * add("process.rss", 1024, "gauge", {}, "By");
 * ```
 */
export function selfSampleAdder(out: Sample[], prefix: string, now: number): SelfSampleAdder {
  return (name, value, type, attributes, unit) => {
    const sample: Sample = { name: `${prefix}${name}`, value, type, attributes, timestamp: now };
    if (unit) sample.unit = unit;
    out.push(sample);
  };
}
