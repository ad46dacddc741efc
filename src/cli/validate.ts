/**
 * `sextant validate` and `sextant config print`.
 * @module
 */
import { registerSecrets } from "../agent/mod.ts";
import { renderConfig } from "../config/mod.ts";
import { type GlobalFlags, loadOrReport, sourceKinds } from "./context.ts";
import { type CliIO, EXIT } from "./io.ts";

/** Exit 0 when valid; otherwise 1, every error on stderr. */
export async function validateCommand(flags: GlobalFlags, io: CliIO): Promise<number> {
  const loaded = await loadOrReport(flags, io);
  if (!loaded) return EXIT.FAILURE;
  const cm = loaded.result.config.custom_metrics;
  const what = loaded.files.length ? loaded.files.join(", ") : "embedded default config";
  const warnings = loaded.result.warnings.length;
  io.stdout(
    `${what}: valid (${cm.sources.length} source(s), ${cm.aggregators.length} aggregator(s), ` +
      `${(cm.exporters ?? []).length || "default"} exporter(s)${
        warnings ? `, ${warnings} warning(s)` : ""
      })`,
  );
  return EXIT.OK;
}

/** Prints the effective configuration with secrets redacted. */
export async function configPrintCommand(flags: GlobalFlags, io: CliIO): Promise<number> {
  const loaded = await loadOrReport(flags, io, { quietWarnings: true });
  if (!loaded) return EXIT.FAILURE;
  const { result, redactor } = loaded;
  registerSecrets(result.config, sourceKinds, redactor);
  io.stdout(renderConfig(result.raw, redactor).trimEnd());
  return EXIT.OK;
}
