/**
 * A source kind for agent-level tests, driven from the test through a
 * shared control object: fail, hang past its timeout, or report `series`
 * gauges whose value grows by one per run.
 * @module
 */
import { z } from "zod";
import type { Source, SourceKind } from "../../src/core/mod.ts";

/** What a test controls of one source. */
export interface Control {
  mode: "ok" | "fail" | "hang";
  /** The message of a failure in mode "fail" (by default one carrying the secret `hunter2-secret`). */
  error?: string;
  series: number;
  calls: number;
  /** Monotonic ms of each call, for schedule checks. */
  callTimes: number[];
}

const controls = new Map<string, Control>();

/** The control of source `key` (created on first use). */
export function control(key: string): Control {
  let c = controls.get(key);
  if (!c) controls.set(key, c = { mode: "ok", series: 1, calls: 0, callTimes: [] });
  return c;
}

/** `type = "controlled"` with `key = "<control key>"`. */
export const controlledKind: SourceKind<{ key: string }> = {
  type: "controlled",
  description: "test source driven by a control object",
  fields: { key: z.string() },
  secrets: () => ["hunter2-secret"],
  create(config) {
    const src: Source = {
      name: config.name,
      type: "controlled",
      start: () => Promise.resolve(),
      collect(acc, signal) {
        const c = control(config.key);
        c.calls++;
        c.callTimes.push(performance.now());
        if (c.mode === "fail") {
          return Promise.reject(
            new Error(c.error ?? "connection refused, password hunter2-secret"),
          );
        }
        if (c.mode === "hang") {
          return new Promise((_r, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason), { once: true })
          );
        }
        for (let i = 0; i < c.series; i++) {
          acc.add({
            name: "v",
            value: c.calls + i,
            attributes: c.series > 1 ? { id: `u${c.calls}-${i}` } : {},
          });
        }
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    };
    return src;
  },
};
