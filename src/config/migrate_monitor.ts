/**
 * The migration step from the per-process monitor files of the 0.3.x
 * process-monitoring plugins to the current format: one `process` source per
 * file, the OTLP exporter pointed at the agent, `service.name` from the
 * template. Every key it does not carry over is reported with its location.
 * @module
 */
import { parse } from "smol-toml";
import type { MigrationFile, MigrationNote } from "./migrate.ts";
import { formatPath, isTable } from "./path.ts";
import { scanPositions } from "./positions.ts";

/** Keys a 0.3 monitor file may hold, by table. */
const KNOWN: Record<string, string[]> = {
  metadata: ["service_namespace", "process_name", "plugin_name", "description"],
  monitoring: ["default_interval", "process_patterns", "metric_types"],
  otel_config: ["default_agent_host", "default_agent_port", "service_name_template"],
};

/** 0.3 metric types → groups of the `process` source. */
export const METRIC_TYPE_GROUPS: Record<string, string[]> = {
  cpu: ["cpu", "context_switches"],
  memory: ["memory", "threads"],
  io: ["io", "fds"],
};

/** OTLP/gRPC's port; Sextant exports OTLP/HTTP, whose port is 4318. */
const GRPC_PORT = 4317;
const HTTP_PORT = 4318;

const q = (s: string) => JSON.stringify(s);

interface Monitor {
  file: string;
  name: string;
  description?: string;
  patterns: string[];
  interval?: number;
  groups: string[];
  serviceName?: string;
  namespace?: string;
  endpoint?: string;
  /** `file:line:col` of the key that set the endpoint. */
  endpointAt?: string;
  /** Whole-line comments, in order. */
  comments: string[];
}

/** Converts 0.3 monitor files into one current config; notes say what was not carried over. */
export function monitorToCurrent(
  files: MigrationFile[],
  notes: MigrationNote[],
  current: number,
): MigrationFile {
  const monitors = files.map((f) => readMonitor(f, notes));
  const names = new Set<string>();
  for (const m of monitors) {
    let name = m.name;
    for (let n = 2; names.has(name); n++) name = `${m.name}_${n}`;
    if (name !== m.name) {
      notes.push({
        severity: "note",
        message: `${m.file}: source name ${q(m.name)} is taken; named ${q(name)}`,
      });
    }
    m.name = name;
    names.add(name);
  }

  const out: string[] = [
    `# Migrated by "sextant config migrate" from ${
      files.map((f) => f.name).join(", ")
    } (process monitor 0.3.x).`,
    "# Whole-line comments of the original files are kept above their source; comments at the end",
    "# of a line are not (the .bak copies keep everything).",
    `config_version = ${current}`,
    "",
  ];

  const serviceNames = [...new Set(monitors.map((m) => m.serviceName).filter(Boolean))];
  const namespaces = [...new Set(monitors.map((m) => m.namespace).filter(Boolean))];
  const shared = serviceNames.length === 1 &&
    monitors.every((m) => m.serviceName === serviceNames[0]);
  if (serviceNames.length > 0 || namespaces.length === 1) {
    out.push("[custom_metrics.resource]");
    if (shared) out.push(`service_name = ${q(serviceNames[0]!)}`);
    if (namespaces.length === 1) out.push(`service_namespace = ${q(namespaces[0]!)}`);
    out.push("");
  }
  if (serviceNames.length > 0 && !shared) {
    notes.push({
      severity: "note",
      message:
        `the files give different service names; each source carries its own as the "service.name" attribute`,
    });
  }

  // Every exporter receives every source: two agents would each get all of them. So the
  // first file's agent gets everything and the others' are reported as not migrated.
  const endpoint = monitors.find((m) => m.endpoint)?.endpoint;
  if (endpoint) {
    out.push("[[custom_metrics.exporters]]", 'type = "otlp"', `endpoint = ${q(endpoint)}`, "");
  }
  for (const m of monitors) {
    if (!m.endpoint || m.endpoint === endpoint) continue;
    notes.push({
      severity: "warning",
      message: `${m.endpointAt}: otel_config: agent ${q(m.endpoint)} not migrated: ` +
        `every exporter receives every source, so per-file agents cannot be kept; ` +
        `source ${q(m.name)} is exported to ${q(endpoint!)} with the others ` +
        `(to keep the split, migrate this file into a config of its own for a second sextant)`,
    });
  }

  for (const m of monitors) {
    if (m.comments.length > 0) out.push(`# From ${m.file}:`, ...m.comments);
    out.push("[[custom_metrics.sources]]", `name = ${q(m.name)}`, 'type = "process"');
    if (m.description) out.push(`description = ${q(m.description)}`);
    out.push(`patterns = [${m.patterns.map(q).join(", ")}]`);
    if (m.interval !== undefined) out.push(`interval = ${m.interval}`);
    out.push(`collect = [${m.groups.map(q).join(", ")}]`);
    if (!shared && m.serviceName) out.push(`attributes = { "service.name" = ${q(m.serviceName)} }`);
    out.push("");
  }
  return { name: files[0].name, text: out.join("\n") };
}

function readMonitor(f: MigrationFile, notes: MigrationNote[]): Monitor {
  const doc = parse(f.text) as Record<string, unknown>;
  const positions = scanPositions(f.text);
  const warn = (path: (string | number)[], message: string) => {
    const { line, col } = positions.nearest(path);
    notes.push({
      severity: "warning",
      message: `${f.name}:${line}:${col}: ${formatPath(path)}: ${message}`,
    });
  };
  const note = (message: string) =>
    notes.push({ severity: "note", message: `${f.name}: ${message}` });

  for (const [key, value] of Object.entries(doc)) {
    if (!KNOWN[key]) {
      warn([key], `unknown key, not migrated (${describe(value)})`);
      continue;
    }
    if (!isTable(value)) {
      warn([key], `expected a table, found ${describe(value)}; not migrated`);
      continue;
    }
    for (const [k, v] of Object.entries(value)) {
      if (!KNOWN[key].includes(k)) warn([key, k], `unknown key, not migrated (${describe(v)})`);
    }
  }
  const table = (k: string) => (isTable(doc[k]) ? doc[k] as Record<string, unknown> : {});
  const meta = table("metadata");
  const mon = table("monitoring");
  const otel = table("otel_config");
  const str = (t: Record<string, unknown>, section: string, key: string): string | undefined => {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v === "string") return v;
    warn([section, key], `expected a string, found ${describe(v)}; not migrated`);
    return undefined;
  };

  const processName = str(meta, "metadata", "process_name");
  const pluginName = str(meta, "metadata", "plugin_name");
  const namespace = str(meta, "metadata", "service_namespace");
  const baseName = f.name.replace(/^.*\//, "").replace(/\.[^.]*$/, "");
  const name = sourceName(pluginName ?? processName ?? baseName);
  if (name !== pluginName) {
    note(
      `source named ${q(name)}${
        pluginName ? ` (plugin_name ${q(pluginName)} is not a valid name)` : ""
      }`,
    );
  }

  let patterns: string[] = [];
  const rawPatterns = mon.process_patterns;
  if (
    Array.isArray(rawPatterns) && rawPatterns.length > 0 &&
    rawPatterns.every((p) => typeof p === "string")
  ) {
    patterns = rawPatterns as string[];
  } else if (rawPatterns !== undefined) {
    warn(
      ["monitoring", "process_patterns"],
      `expected an array of strings, found ${describe(rawPatterns)}`,
    );
  }
  if (patterns.length === 0 && processName) {
    patterns = [processName];
    note(`no process_patterns; matching the process name ${q(processName)}`);
  }
  if (patterns.length === 0) {
    patterns = [name];
    note(`no process_patterns nor process_name; matching ${q(name)}`);
  }
  const escaped = patterns.map(escapeRegExp);
  if (escaped.some((p, i) => p !== patterns[i])) {
    note(
      "patterns are regular expressions now; special characters were escaped to match literally",
    );
  }
  // Case-insensitive matching makes variants that differ only in case redundant.
  const unique = escaped.filter((p, i) =>
    escaped.findIndex((o) => o.toLowerCase() === p.toLowerCase()) === i
  );

  let interval: number | undefined;
  const iv = mon.default_interval;
  if (typeof iv === "number" && Number.isFinite(iv) && iv >= 0.01) interval = iv;
  else if (iv !== undefined) {
    warn(
      ["monitoring", "default_interval"],
      `expected a number of seconds, found ${describe(iv)}; not migrated`,
    );
  }

  const groups: string[] = [];
  const types = mon.metric_types;
  if (Array.isArray(types)) {
    types.forEach((t, i) => {
      const mapped = typeof t === "string" ? METRIC_TYPE_GROUPS[t.toLowerCase()] : undefined;
      if (mapped) groups.push(...mapped);
      else if (t === "network") {
        warn(
          ["monitoring", "metric_types", i],
          `"network" is not migrated: Linux does not account network traffic per process in /proc`,
        );
      } else {warn(
          ["monitoring", "metric_types", i],
          `unknown metric type ${describe(t)}, not migrated`,
        );}
    });
  } else if (types !== undefined) {
    warn(["monitoring", "metric_types"], `expected an array, found ${describe(types)}`);
  }
  if (groups.length === 0) groups.push(...Object.values(METRIC_TYPE_GROUPS).flat());

  const template = str(otel, "otel_config", "service_name_template");
  let serviceName: string | undefined;
  if (template !== undefined) {
    const vars: Record<string, string | undefined> = {
      service_namespace: namespace,
      process_name: processName,
      plugin_name: pluginName,
    };
    serviceName = template.replace(/\{([^}]*)\}/g, (m, v: string) => {
      if (vars[v] !== undefined) return vars[v]!;
      warn(
        ["otel_config", "service_name_template"],
        `placeholder ${m} has no value; left as written`,
      );
      return m;
    });
  }

  let endpoint: string | undefined;
  let endpointAt: string | undefined;
  const host = str(otel, "otel_config", "default_agent_host");
  const rawPort = otel.default_agent_port;
  let port: number | undefined;
  if (typeof rawPort === "number" && Number.isInteger(rawPort) && rawPort > 0 && rawPort < 65536) {
    port = rawPort;
  } else if (rawPort !== undefined) {
    warn(
      ["otel_config", "default_agent_port"],
      `expected a port number, found ${describe(rawPort)}; not migrated`,
    );
  }
  if (host !== undefined || port !== undefined) {
    let p = port ?? HTTP_PORT;
    if (p === GRPC_PORT) {
      p = HTTP_PORT;
      note(
        `default_agent_port ${GRPC_PORT} is OTLP/gRPC, which Sextant does not export; ` +
          `mapped to OTLP/HTTP on port ${HTTP_PORT} (enable the agent's OTLP/HTTP receiver)`,
      );
    }
    const h = host ?? "localhost";
    endpoint = `http://${h.includes(":") && !h.startsWith("[") ? `[${h}]` : h}:${p}/v1/metrics`;
    const at = positions.nearest(
      ["otel_config", host !== undefined ? "default_agent_host" : "default_agent_port"],
    );
    endpointAt = `${f.name}:${at.line}:${at.col}`;
  }

  return {
    file: f.name,
    name,
    description: str(meta, "metadata", "description"),
    patterns: unique,
    interval,
    groups: [...new Set(groups)],
    serviceName,
    namespace,
    endpoint,
    endpointAt,
    comments: f.text.split(/\r?\n/).filter((l) => /^\s*#/.test(l)).map((l) => l.trim()),
  };
}

/** A valid source name: letters, digits, `_` and `-`, starting with a letter, at most 64. */
function sourceName(raw: string): string {
  let s = raw.replace(/[^A-Za-z0-9_-]/g, "_");
  if (!/^[A-Za-z]/.test(s)) s = `p_${s}`;
  return s.slice(0, 64);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function describe(v: unknown): string {
  if (typeof v === "string") return `string ${q(v.length > 40 ? v.slice(0, 37) + "..." : v)}`;
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${v}`;
  if (Array.isArray(v)) return "an array";
  if (isTable(v)) return "a table";
  return "a date-time";
}
