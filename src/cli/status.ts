/**
 * `sextant status`: a view of a running instance through its admin API.
 * The address and token come from `--url`/`--token`, else from the config's
 * `[custom_metrics.admin]`.
 * @module
 */
import type { AgentStatus } from "../agent/mod.ts";
import { errorMessage } from "../core/mod.ts";
import { type GlobalFlags, loadOrReport } from "./context.ts";
import { type CliIO, EXIT } from "./io.ts";

/** Flags of `status`. */
export interface StatusFlags {
  url?: string;
  token?: string;
  format: "text" | "json";
  timeoutMs?: number;
}

/** Fetches `/status` and prints it; exit 1 when the instance cannot be reached. */
export async function statusCommand(
  flags: GlobalFlags,
  opts: StatusFlags,
  io: CliIO,
): Promise<number> {
  let base = opts.url;
  let token = opts.token ?? io.platform.env("SEXTANT_ADMIN_TOKEN");
  if (!base) {
    const loaded = await loadOrReport(flags, io, { quietWarnings: true });
    if (!loaded) return EXIT.FAILURE;
    const admin = loaded.result.config.custom_metrics.admin;
    let host = admin.listen.slice(0, admin.listen.lastIndexOf(":"));
    if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
    if (host === "[::]") host = "[::1]";
    base = `http://${host}:${admin.listen.slice(admin.listen.lastIndexOf(":") + 1)}`;
    token ??= admin.token;
  }
  let url: URL;
  try {
    url = new URL("/status", base);
  } catch {
    io.stderr(
      `sextant: Cannot read the status as '--url' must be an http URL: current value is ${
        JSON.stringify(base)
      }`,
    );
    return EXIT.USAGE;
  }
  let status: AgentStatus;
  try {
    const res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
    if (res.status === 401) {
      await res.body?.cancel();
      io.stderr(`sextant: ${url.origin} wants a token: pass --token or set SEXTANT_ADMIN_TOKEN`);
      return EXIT.FAILURE;
    }
    if (!res.ok) {
      await res.body?.cancel();
      io.stderr(`sextant: ${url.origin}/status answered HTTP ${res.status}`);
      return EXIT.FAILURE;
    }
    status = await res.json() as AgentStatus;
  } catch (err) {
    const why = err instanceof DOMException && err.name === "TimeoutError"
      ? "no answer within 5 s"
      : errorMessage(err);
    io.stderr(
      `sextant: cannot reach the admin API at ${url.origin}: ${why} (is "sextant run" running?)`,
    );
    return EXIT.FAILURE;
  }
  if (opts.format === "json") {
    io.stdout(JSON.stringify(status, null, 2));
    return EXIT.OK;
  }
  for (const line of formatStatus(status)) io.stdout(line);
  return EXIT.OK;
}

/** The text view: process line, hints, then sources ranked by time used. */
export function formatStatus(s: AgentStatus): string[] {
  const p = s.process;
  const out = [
    `sextant ${s.version} on ${s.runtime.name} ${s.runtime.version}, pid ${s.pid}, up ${s.uptime_s} s, ${
      s.ready ? "ready" : "not ready"
    }`,
    `event loop: lag p99 ${p.event_loop_lag_ms.p99} ms (max ${p.event_loop_lag_ms.max} ms), busy ${
      (p.event_loop_busy * 100).toFixed(1)
    }%; memory (${p.memory.measure}) ${
      (p.memory.bytes / 2 ** 20).toFixed(1)
    } MiB, ${p.memory.level}; series ${s.series.live}`,
  ];
  const hints = [
    ...s.hints,
    ...s.bottlenecks.flatMap((b) => b.hints.map((h) => `${b.source}: ${h}`)),
  ];
  if (hints.length) {
    out.push("", "problems:");
    for (const h of hints) out.push(`  - ${h}`);
  }
  out.push("", "sources, by time used:");
  const rows = [[
    "SOURCE",
    "STATE",
    "BREAKER",
    "AVG MS",
    "SHARE",
    "RUNS",
    "FAILS",
    "OVERRUNS",
    "LAST ERROR",
  ]];
  const byName = new Map(s.sources.map((x) => [x.name, x]));
  for (const b of s.bottlenecks) {
    const src = byName.get(b.source);
    if (!src) continue;
    const err = src.last_errors[0];
    rows.push([
      b.source,
      src.state,
      src.breaker ? src.breaker.state : "off",
      String(b.avg_duration_ms),
      `${(b.interval_share * 100).toFixed(1)}%`,
      String(src.collections),
      String(src.failures),
      String(b.overruns),
      err ? (err.message.length > 60 ? `${err.message.slice(0, 60)}…` : err.message) : "",
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) out.push(`  ${r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()}`);
  if (s.exporters.length) {
    out.push("", "exporters:");
    for (const e of s.exporters) {
      const q = e.queue
        ? `, retry queue ${e.queue.size}/${e.queue.capacity}, dropped ${e.queue.dropped_points} points`
        : "";
      out.push(`  ${e.name} (${e.type}): ${e.exports} exports, ${e.failures} failures${q}`);
    }
  }
  return out;
}
