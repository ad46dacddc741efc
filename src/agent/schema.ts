/**
 * The whole configuration document, assembled from the schemas each
 * component owns, plus the checks that span components.
 * @module
 */
import { z } from "zod";
import { aggregatorSchema, checkAggregators } from "../aggregate/mod.ts";
import {
  commonSourceFields,
  type ConfigIssue,
  splitListen,
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
});

/** `[custom_metrics.log]`. */
export const logSchema = z.strictObject({
  level: zLevel.default("info"),
  format: z.enum(["text", "json"]).default("text"),
  components: z.record(z.string(), zLevel).default({}),
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

/** A source table with interval and timeout filled in (milliseconds). */
export type ResolvedSource = SourceTable & CommonSourceConfig;

/** Fills a source's interval and timeout from the agent defaults. */
export function resolveSource(
  table: SourceTable,
  agent: Document["custom_metrics"]["agent"],
): ResolvedSource {
  const interval = table.interval ?? agent.default_interval;
  const timeout = Math.min(table.timeout ?? agent.default_timeout, interval);
  return { ...table, interval, timeout } as ResolvedSource;
}

/** Cross-component checks: duplicate names, ports, inputs that match nothing. */
export function checkDocument(doc: Document, kinds: readonly SourceKind[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const cm = doc.custom_metrics;
  const names = new Map<string, number>();
  cm.sources.forEach((s, i) => {
    const base = ["custom_metrics", "sources", i];
    const first = names.get(s.name);
    if (first !== undefined) {
      issues.push({
        path: [...base, "name"],
        message: `duplicate source name ${
          JSON.stringify(s.name)
        } (first used by sources[${first}])`,
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
    const kind = kinds.find((k) => k.type === s.type);
    const resolved = resolveSource(s as SourceTable, cm.agent);
    for (const p of kind?.check?.(resolved as never) ?? []) {
      issues.push({ path: [...base, ...p.path], message: p.message });
    }
  });

  const listeners: { path: (string | number)[]; listen: string; what: string }[] = [];
  const exporters = cm.exporters ?? DEFAULT_EXPORTERS;
  exporters.forEach((e, i) => {
    if (e.type !== "prometheus") return;
    const path = cm.exporters ? ["custom_metrics", "exporters", i, "listen"] : ["custom_metrics"];
    const what = cm.exporters
      ? `custom_metrics.exporters[${i}].listen`
      : `the default Prometheus exporter (${e.listen})`;
    listeners.push({ path, listen: e.listen, what });
  });
  // Last, so that a clash with an implicit default exporter is reported at the key the user wrote.
  if (cm.admin.enabled) {
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
    const name = e.name ?? e.type;
    if (exporterNames.has(name)) {
      issues.push({
        path: ["custom_metrics", "exporters", i, "name"],
        message: `duplicate exporter name ${JSON.stringify(name)}`,
      });
    }
    exporterNames.add(name);
  });

  issues.push(...checkAggregators(cm.aggregators, {
    window: cm.aggregation_window,
    sources: cm.sources.map((s) => ({
      name: s.name,
      interval: resolveSource(s as SourceTable, cm.agent).interval,
    })),
  }));
  return issues;
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}
