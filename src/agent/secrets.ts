/**
 * Registers every secret a configuration holds with the redactor, in one
 * place, so that the collector and `config print` mask the same values.
 * @module
 */
import type { Redactor, SourceKind } from "../core/mod.ts";
import { DEFAULT_EXPORTERS, exporterSecrets } from "../export/mod.ts";
import { type Document, resolveSource, type SourceTable } from "./schema.ts";

// A `sqlite:` path is no secret: only a `password=` option in it is.
const CONNECTION_STRING = /^[a-z][a-z0-9+.\-]*:\/\/|^\s*server\s*=|^sqlite:/i;

/** Adds source secrets (passwords, tokens), exporter header values and the admin token. */
export function registerSecrets(
  doc: Document,
  kinds: readonly SourceKind[],
  redactor: Redactor,
): void {
  const cm = doc.custom_metrics;
  for (const table of cm.sources) {
    const kind = kinds.find((k) => k.type === table.type);
    const config = resolveSource(table as SourceTable, cm.agent);
    for (const secret of kind?.secrets?.(config as never) ?? []) {
      // From a connection string only the password is secret; host and database stay readable.
      if (CONNECTION_STRING.test(secret)) redactor.addFromConnectionString(secret);
      else redactor.add(secret);
    }
  }
  for (const e of cm.exporters ?? DEFAULT_EXPORTERS) {
    for (const s of exporterSecrets(e)) redactor.add(s);
  }
  redactor.add(cm.admin.token);
}
