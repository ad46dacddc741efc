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
};
