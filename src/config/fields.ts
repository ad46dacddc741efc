/**
 * Reusable zod field types for component schemas: durations, listen
 * addresses, metric types. Components import them through `config/mod.ts`.
 * @module
 */
import { z } from "zod";
import { METRIC_TYPES, parseDuration } from "../core/mod.ts";

/**
 * A duration: a number of seconds or a string like `"30s"`; parsed to milliseconds.
 *
 * @example In a schema
 * ```ts
 * const s = z.object({ interval: zDuration().default(60_000) });
 * ```
 */
export function zDuration(opts: { min?: number } = {}) {
  // The union's own message replaces zod's "expected number or string" noise.
  return z.union([z.number(), z.string()], {
    error: () => 'expected a duration: a number of seconds or a string like "30s"',
  }).transform((value, ctx) => {
    const r = parseDuration(value);
    if (!r.ok) {
      ctx.addIssue({ code: "custom", message: r.message, input: value });
      return z.NEVER;
    }
    if (opts.min !== undefined && r.ms < opts.min) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration of at least ${opts.min} ms, found ${JSON.stringify(value)}`,
        input: value,
      });
      return z.NEVER;
    }
    if (r.ms > MAX_DURATION_MS) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration of at most 24d (timers cannot wait longer), found ${
          JSON.stringify(value)
        }`,
        input: value,
      });
      return z.NEVER;
    }
    return r.ms;
  });
}

/** The longest duration a timer can wait (2^31 - 1 ms, about 24.8 days), rounded down to 24 days. */
export const MAX_DURATION_MS = 24 * 86_400_000;

/** `host:port` to listen on; the port may be 0 (any free port). */
export const zListen = z.string().regex(
  /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]+):\d{1,5}$/,
  // abort: the port check below would only repeat the problem.
  { message: 'expected "host:port", e.g. "127.0.0.1:9464"', abort: true },
).refine((s) => Number(s.slice(s.lastIndexOf(":") + 1)) <= 65535, {
  message: "port must be at most 65535",
});

/** Splits a validated listen address. */
export function splitListen(listen: string): { hostname: string; port: number } {
  const i = listen.lastIndexOf(":");
  let host = listen.slice(0, i);
  if (host.startsWith("[")) host = host.slice(1, -1);
  return { hostname: host, port: Number(listen.slice(i + 1)) };
}

/** An OTel metric type name. */
export const zMetricType = z.enum(METRIC_TYPES as [string, ...string[]]);

/** Static attributes: string values (numbers and booleans are turned into strings). */
export const zAttributes = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, {
    message: "attribute keys must match [A-Za-z_][A-Za-z0-9_.]*",
  }),
  z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)),
);

/** Source and plugin names: they prefix metric names, so they follow metric-name rules. */
export const zSourceName = z.string().regex(/^[A-Za-z][A-Za-z0-9_\-]{0,63}$/, {
  message: "expected a name of letters, digits, '_' or '-', starting with a letter (at most 64)",
});

/** A size in bytes: a number of bytes or a string like `"512MiB"`, `"1.5GB"`, `"64k"`. */
export function zBytes() {
  return z.union([z.number(), z.string()], {
    error: () => 'expected a size: a number of bytes or a string like "512MiB"',
  }).transform((value, ctx) => {
    const bytes = parseBytes(value);
    if (bytes === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `expected a size such as 536870912, "512MiB" or "2GB", found ${
          JSON.stringify(value)
        }`,
        input: value,
      });
      return z.NEVER;
    }
    return bytes;
  });
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Parses a byte size; undefined when it is not one. */
export function parseBytes(value: number | string): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = m ? BYTE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Circuit-breaker settings; every field optional so a source can override only some. */
export const zBreakerFields = {
  /** `false` turns the breaker off: the source is called on every tick. */
  enabled: z.boolean().optional(),
  /** Consecutive failed collections that open it. */
  failure_threshold: z.number().int().min(1).max(10_000).optional(),
  /** Ratio of failed collections over the last `window` that opens it (0 = off). */
  failure_ratio: z.number().min(0).max(1).optional(),
  window: z.number().int().min(1).max(10_000).optional(),
  /** First open period; grows by `multiplier` per consecutive trip. */
  cooldown: zDuration({ min: 1 }).optional(),
  max_cooldown: zDuration({ min: 1 }).optional(),
  multiplier: z.number().min(1).max(100).optional(),
  /** Spread of the cooldown, as a fraction (0.2 = ±20%). */
  jitter: z.number().min(0).max(1).optional(),
};

/** `breaker = {...}` on a source: overrides of `[custom_metrics.agent.breaker]`. */
export const zBreaker = z.strictObject(zBreakerFields);

/**
 * Resilience fields every source has (additive to {@linkcode commonSourceFields}):
 * its circuit breaker, what to export while it fails, and a cap on its series.
 */
export const resilienceSourceFields = {
  breaker: zBreaker.optional(),
  /** `"drop"`: export nothing for a failed collection; `"last_value"`: re-export the last good values marked `stale="true"`. */
  on_failure: z.enum(["drop", "last_value"]).default("drop"),
  /** How long `last_value` re-exports the last good values; defaults to the agent's `stale_after`. */
  stale_after: zDuration({ min: 1 }).optional(),
  /** Another source whose samples are exported under this source's names while this one's breaker is open. */
  fallback: zSourceName.optional(),
  /** Series this source may report per collection; more are dropped and counted. */
  max_series: z.number().int().min(1).max(10_000_000).optional(),
};

/**
 * Fields every `[[custom_metrics.sources]]` table has. `interval` and `timeout`
 * stay optional here; the agent fills them from `[custom_metrics.agent]`.
 */
export const commonSourceFields = {
  name: zSourceName,
  /** Seconds or a duration string. */
  interval: zDuration({ min: 10 }).optional(),
  /** Per-collection timeout; defaults to the agent's `default_timeout`, capped at `interval`. */
  timeout: zDuration({ min: 1 }).optional(),
  enabled: z.boolean().default(true),
  attributes: zAttributes.default({}),
  otel_type: zMetricType.optional(),
  description: z.string().optional(),
  ...resilienceSourceFields,
};
