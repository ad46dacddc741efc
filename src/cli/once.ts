/**
 * `sextant once`: one collection cycle, printed as JSON, Prometheus text or a table.
 * @module
 */
import type { Sample } from "../core/mod.ts";
import { buildLogger, type GlobalFlags, loadOrReport, newAgent } from "./context.ts";
import { type CliIO, EXIT } from "./io.ts";

/** An error `once` reports: a source's, or an aggregation rule's. */
type OnceError = { source: string; message: string } | { rule: string; message: string };

/** Output formats of `once`. */
export const ONCE_FORMATS = ["json", "prom", "table"] as const;

/**
 * Collects once from every enabled source; exit 1 when any source or
 * aggregation rule reported an error.
 */
export async function onceCommand(flags: GlobalFlags, format: string, io: CliIO): Promise<number> {
  const loaded = await loadOrReport(flags, io);
  if (!loaded) return EXIT.FAILURE;
  const { result, redactor } = loaded;
  const doc = result.config;
  // `once` logs warnings and up unless asked otherwise, so stdout stays parseable and stderr quiet.
  const logger = buildLogger(
    { ...flags, logLevel: flags.logLevel ?? io.platform.env("SEXTANT_LOG_LEVEL") ?? "warn" },
    io,
    doc,
    redactor,
  );
  const agent = newAgent(loaded, io, logger, { exporters: [], selfMetrics: false });
  await agent.pipeline.start();
  const results = await agent.collectOnce();
  const samples = [...results.flatMap((r) => r.samples), ...agent.aggregation.last];
  const errors: OnceError[] = [
    ...results.flatMap((r) =>
      r.errors.map((e) => ({
        source: e.source,
        message: e.item && !e.message.includes(e.item) ? `${e.item}: ${e.message}` : e.message,
      }))
    ),
    // Aggregation rules that failed (a missing input, division by zero, a non-finite result).
    ...agent.aggregation.errors.map((e) => ({ rule: e.rule, message: e.message })),
  ];
  switch (format) {
    case "json":
      io.stdout(JSON.stringify({
        samples: samples.map((s) => ({
          name: s.name,
          value: s.value,
          type: s.type,
          attributes: s.attributes,
          timestamp: s.timestamp,
        })),
        errors,
      }));
      break;
    case "prom":
      io.stdout((await agent.pipeline.prometheusText()).trimEnd());
      break;
    default:
      for (const line of table(samples)) io.stdout(line);
  }
  await agent.pipeline.stop();
  if (format !== "json") {
    for (const e of errors) {
      io.stderr(`error: ${"rule" in e ? `rule ${e.rule}` : e.source}: ${e.message}`);
    }
  }
  return errors.length > 0 ? EXIT.FAILURE : EXIT.OK;
}

function table(samples: Sample[]): string[] {
  const rows = samples.map((s) => [
    s.name,
    formatValue(s.value),
    s.type,
    Object.entries(s.attributes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" "),
  ]);
  const head = ["NAME", "VALUE", "TYPE", "ATTRIBUTES"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}
