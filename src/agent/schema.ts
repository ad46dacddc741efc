/**
 * The whole configuration document, assembled from the schemas each
 * component owns, plus the checks that span components.
 * @module
 */
import { z } from "zod";
import { aggregatorSchema, checkAggregators } from "../aggregate/mod.ts";
import {
  type CheckView,
  commonSourceFields,
  type ConfigIssue,
  formatPath,
  splitListen,
  WHOLE,
  zBreakerFields,
  zBytes,
  zDuration,
  zListen,
} from "../config/mod.ts";
import {
  type CommonSourceConfig,
  LOG_LEVELS,
  type LogLevel,
  type SourceKind,
} from "../core/mod.ts";
import { DEFAULT_EXPORTERS, exporterSchema, resourceSchema } from "../export/mod.ts";

/** The config version this release writes and reads. */
export const CONFIG_VERSION = 4;

const zLevel = z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]]);

/** `[custom_metrics.agent]`: scheduling defaults. */
export const agentSettingsSchema = z.strictObject({
  /** Largest random delay before a source's first run (capped at its interval). */
  jitter: zDuration().default(1_000),
  default_interval: zDuration({ min: 10 }).default(60_000),
  default_timeout: zDuration({ min: 1 }).default(10_000),
  /** How long a start (connect) may take. */
  start_timeout: zDuration({ min: 1 }).default(10_000),
  shutdown_timeout: zDuration({ min: 1 }).default(5_000),
  /** Circuit-breaker defaults of every source (a source's `breaker` overrides them). */
  breaker: z.strictObject({
    enabled: zBreakerFields.enabled.default(true),
    failure_threshold: zBreakerFields.failure_threshold.default(5),
    failure_ratio: zBreakerFields.failure_ratio.default(0),
    window: zBreakerFields.window.default(20),
    cooldown: zBreakerFields.cooldown.default(30_000),
    max_cooldown: zBreakerFields.max_cooldown.default(600_000),
    multiplier: zBreakerFields.multiplier.default(2),
    jitter: zBreakerFields.jitter.default(0.2),
  }).prefault({}),
  /** How long `on_failure = "last_value"` re-exports a failed source's last good values. */
  stale_after: zDuration({ min: 1 }).default(600_000),
  /** Series one source may report per collection, unless it sets `max_series`. */
  max_series_per_source: z.number().int().min(1).max(10_000_000).default(10_000),
});

/** `[custom_metrics.limits]`: memory limits, checked periodically. */
export const limitsSchema = z.strictObject({
  /** Above it, new series are refused and buffers shrink. Unset: no soft limit. */
  soft_memory: zBytes().optional(),
  /** Above it, the largest state is dropped and reported: the aggregation rule holding the most bytes, else the source with the most series. */
  hard_memory: zBytes().optional(),
  /** What is measured: resident set size or the JS heap in use. */
  measure: z.enum(["rss", "heap"]).default("rss"),
  check_interval: zDuration({ min: 100 }).default(10_000),
});

/** `[custom_metrics.log]`. */
export const logSchema = z.strictObject({
  level: zLevel.default("info"),
  format: z.enum(["text", "json"]).default("text"),
  components: z.record(z.string(), zLevel).default({}),
  /** Repeats of one message from one component within this window are counted, not written. */
  repeat_window: zDuration().default(60_000),
});

/** `[custom_metrics.admin]`: the admin HTTP API. */
export const adminSchema = z.strictObject({
  enabled: z.boolean().default(true),
  listen: zListen.default("127.0.0.1:9465"),
  /** When set, every endpoint but `/healthz` and `/readyz` needs `Authorization: Bearer <token>`. */
  token: z.string().min(8, { message: "expected a token of at least 8 characters" }).optional(),
});

/** Builds the document schema for the given source kinds. */
export function buildDocumentSchema(kinds: readonly SourceKind[]) {
  const members = kinds.map((k) =>
    z.strictObject({ type: z.literal(k.type), ...commonSourceFields, ...k.fields })
  );
  const sourceSchema = z.discriminatedUnion(
    "type",
    members as unknown as [typeof members[number], ...typeof members[number][]],
  );
  const customMetrics = z.strictObject({
    plugin_directories: z.array(z.string()).default([]),
    aggregation_window: zDuration({ min: 1000 }).default(300_000),
    agent: agentSettingsSchema.prefault({}),
    log: logSchema.prefault({}),
    admin: adminSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    resource: resourceSchema.prefault({}),
    sources: z.array(sourceSchema).default([]),
    aggregators: z.array(aggregatorSchema).default([]),
    exporters: z.array(exporterSchema).optional(),
  });
  return z.strictObject({
    config_version: z.literal(CONFIG_VERSION, {
      message:
        `expected config_version = ${CONFIG_VERSION} (run "sextant config migrate" for older files)`,
    }).optional(),
    custom_metrics: customMetrics.prefault({}),
  });
}

/** The validated document. */
export type Document = z.output<ReturnType<typeof buildDocumentSchema>>;
/** One validated source table (kind fields included). */
export type SourceTable = Document["custom_metrics"]["sources"][number] & Record<string, unknown>;

/** The effective breaker settings of a source. */
export type BreakerSettings = Document["custom_metrics"]["agent"]["breaker"];

/** A source table with interval, timeout, breaker, stale_after and max_series filled in (milliseconds). */
export type ResolvedSource = SourceTable & CommonSourceConfig & {
  breaker: BreakerSettings;
  on_failure: "drop" | "last_value";
  stale_after: number;
  fallback?: string;
  max_series: number;
};

/** Fills a source's interval, timeout and resilience settings from the agent defaults. */
export function resolveSource(
  table: SourceTable,
  agent: Document["custom_metrics"]["agent"],
): ResolvedSource {
  const interval = table.interval ?? agent.default_interval;
  const timeout = Math.min(table.timeout ?? agent.default_timeout, interval);
  const own = Object.fromEntries(
    Object.entries(table.breaker ?? {}).filter(([, v]) => v !== undefined),
  );
  return {
    ...table,
    interval,
    timeout,
    breaker: { ...agent.breaker, ...own },
    on_failure: table.on_failure ?? "drop",
    stale_after: table.stale_after ?? agent.stale_after,
    max_series: table.max_series ?? agent.max_series_per_source,
  } as ResolvedSource;
}

/**
 * Cross-component checks: duplicate names, ports, inputs that match nothing.
 * On a document salvaged from an invalid one (`view`), a check that would rest
 * on a value the user did not write validly (a default standing in for a
 * misspelt or rejected key, an item that was left out) is skipped, so that no
 * error is made up; it runs once those errors are fixed.
 */
export function checkDocument(
  doc: Document,
  kinds: readonly SourceKind[],
  view: CheckView = WHOLE,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const cm = doc.custom_metrics;
  const CM = ["custom_metrics"];
  const allSources = view.complete([...CM, "sources"]);
  const names = new Map<string, number>();
  cm.sources.forEach((s, i) => {
    const base = ["custom_metrics", "sources", i];
    const first = names.get(s.name);
    if (first !== undefined) {
      issues.push({
        path: [...base, "name"],
        message: `duplicate source name ${JSON.stringify(s.name)} (first used by sources[${
          view.original([...CM, "sources", first])[2]
        }])`,
      });
    } else names.set(s.name, i);
    if (s.name === "sextant") {
      issues.push({
        path: [...base, "name"],
        message: `source name "sextant" is reserved for self-metrics`,
      });
    }
    if (s.timeout !== undefined && s.interval !== undefined && s.timeout > s.interval) {
      issues.push({
        path: [...base, "timeout"],
        message: `timeout (${s.timeout} ms) must not exceed interval (${s.interval} ms)`,
      });
    }
    if (s.fallback !== undefined) {
      const target = cm.sources.find((o) => o.name === s.fallback);
      const problem = s.fallback === s.name
        ? "a source cannot be its own fallback"
        : !target && !allSources
        ? undefined
        : !target
        ? `fallback ${JSON.stringify(s.fallback)} is not a configured source`
        : target.fallback !== undefined
        ? `fallback ${
          JSON.stringify(s.fallback)
        } has a fallback of its own; chains are not followed`
        : !resolveSource(s as SourceTable, cm.agent).breaker.enabled
        ? "a fallback is used while the circuit breaker is open; this source's breaker is turned off"
        : undefined;
      if (problem) issues.push({ path: [...base, "fallback"], message: problem });
    }
    // A kind's checks read the whole source; one that lost a key waits for its fix.
    if (!view.complete(base)) return;
    const kind = kinds.find((k) => k.type === s.type);
    const resolved = resolveSource(s as SourceTable, cm.agent);
    for (const p of (kind?.check?.(resolved as never) ?? []) as ConfigIssue[]) {
      issues.push({ ...p, path: [...base, ...p.path] });
    }
  });

  const listeners: { path: (string | number)[]; listen: string; what: string }[] = [];
  const exporters = cm.exporters ?? DEFAULT_EXPORTERS;
  exporters.forEach((e, i) => {
    if (e.type !== "prometheus") return;
    const at = cm.exporters ? [...CM, "exporters", i, "listen"] : [...CM, "exporters"];
    if (!view.known(at)) return;
    const path = cm.exporters ? ["custom_metrics", "exporters", i, "listen"] : ["custom_metrics"];
    const what = cm.exporters
      ? formatPath(view.original([...CM, "exporters", i, "listen"]))
      : `the default Prometheus exporter (${e.listen})`;
    listeners.push({ path, listen: e.listen, what });
  });
  // Last, so that a clash with an implicit default exporter is reported at the key the user wrote.
  if (
    cm.admin.enabled && view.known([...CM, "admin", "enabled"]) &&
    view.known([...CM, "admin", "listen"])
  ) {
    listeners.push({
      path: ["custom_metrics", "admin", "listen"],
      listen: cm.admin.listen,
      what: "custom_metrics.admin.listen",
    });
  }
  const seen: { hostname: string; port: number; what: string }[] = [];
  for (const l of listeners) {
    const { hostname, port } = splitListen(l.listen);
    if (port === 0) continue;
    const clash = seen.find((o) =>
      o.port === port && (o.hostname === hostname || isWildcard(o.hostname) || isWildcard(hostname))
    );
    if (clash) {
      issues.push({ path: l.path, message: `${l.listen} is already used by ${clash.what}` });
    } else seen.push({ hostname, port, what: l.what });
  }
  const exporterNames = new Set<string>();
  (cm.exporters ?? []).forEach((e, i) => {
    if (!view.known(["custom_metrics", "exporters", i, "name"])) return;
    const name = e.name ?? e.type;
    if (exporterNames.has(name)) {
      issues.push({
        path: ["custom_metrics", "exporters", i, "name"],
        message: `duplicate exporter name ${JSON.stringify(name)}`,
      });
    }
    exporterNames.add(name);
  });

  const aggregatorIssues = checkAggregators(cm.aggregators, {
    window: cm.aggregation_window,
    sources: cm.sources.map((s, i) => {
      // A source that lost a key may emit more than what is left of it says.
      const metrics = view.complete([...CM, "sources", i])
        ? knownMetrics(s as SourceTable)
        : undefined;
      return {
        name: s.name,
        // An interval that is not known cannot be too long for any window.
        interval: view.known([...CM, "sources", i, "interval"]) &&
            (s.interval !== undefined || view.known([...CM, "agent", "default_interval"]))
          ? resolveSource(s as SourceTable, cm.agent).interval
          : 0,
        ...(metrics ? { metrics } : {}),
      };
    }),
  });
  const windowKnown = view.known([...CM, "aggregation_window"]);
  for (const issue of aggregatorIssues) {
    const i = issue.path[2] as number;
    const rule = [...CM, "aggregators", i];
    // "Matches no source" is not known while a source was left out.
    if (issue.severity === "warning" && !allSources) continue;
    if (!view.complete(rule) || (cm.aggregators[i]?.window === undefined && !windowKnown)) continue;
    issues.push(issue);
  }
  return issues;
}

/** Metric names (relative) of the `system` kind, by `collect` group. */
const SYSTEM_METRICS: Record<string, string[]> = {
  cpu: ["cpu.utilization"],
  memory: ["memory.limit", "memory.available", "memory.used", "memory.utilization"],
  load: ["load.1m", "load.5m", "load.15m"],
  uptime: ["uptime"],
  process: ["process.rss", "process.heap_used", "process.cpu.utilization", "process.uptime"],
};

/** Metric names (relative) of the `process` kind, by `collect` group (`processes` always). */
const PROCESS_METRICS: Record<string, string[]> = {
  cpu: ["cpu.utilization"],
  memory: ["memory.rss", "memory.virtual"],
  threads: ["threads"],
  fds: ["open_fds"],
  io: ["disk.read_bytes", "disk.write_bytes"],
  context_switches: ["context_switches"],
};

/**
 * The metrics a source can ever emit, relative to its name, where its config
 * tells (database queries, http, system, process): exact names, and
 * prefixes a name may continue (a query's `metric_column`). `undefined`
 * when the source decides at run time (command, file, plugins).
 */
function knownMetrics(s: SourceTable): { names: string[]; prefixes: string[] } | undefined {
  const groups = (table: Record<string, string[]>) =>
    ((s.collect as string[] | undefined) ?? Object.keys(table)).flatMap((g) => table[g] ?? []);
  switch (s.type) {
    case "database": {
      const names: string[] = [];
      const prefixes: string[] = [];
      for (
        const q of (s.queries ?? []) as {
          name: string;
          value_columns?: string[];
          metric_column?: string;
        }[]
      ) {
        if (q.metric_column !== undefined) prefixes.push(`${q.name}.`);
        else if (q.value_columns?.length) {
          names.push(...q.value_columns.map((c) => `${q.name}.${c}`));
        } else names.push(q.name);
      }
      return { names, prefixes };
    }
    case "http":
      return {
        names: [
          "response_time",
          "status_code",
          "up",
          ...((s.json_metrics ?? []) as { name: string }[]).map((m) => m.name),
        ],
        prefixes: [],
      };
    case "system":
      return { names: groups(SYSTEM_METRICS), prefixes: [] };
    case "process":
      return { names: ["processes", ...groups(PROCESS_METRICS)], prefixes: [] };
  }
  return undefined;
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}
