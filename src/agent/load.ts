/**
 * Loads and validates a configuration against the full document schema.
 * @module
 */
import { type CheckView, type ConfigIssue, loadConfig, type LoadResult } from "../config/mod.ts";
import type { Platform, SourceKind } from "../core/mod.ts";
import { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TOML } from "./default_config.ts";
import { buildDocumentSchema, checkDocument, type Document } from "./schema.ts";

/**
 * Loads `files` (or, when empty, `embedded`: by default the built-in config)
 * and validates them.
 */
export function loadDocument(
  files: string[],
  kinds: readonly SourceKind[],
  platform: Platform,
  embedded = { name: DEFAULT_CONFIG_NAME, text: DEFAULT_CONFIG_TOML },
): Promise<LoadResult<Document>> {
  return loadConfig<Document>({
    files,
    embedded,
    schema: buildDocumentSchema(kinds) as never,
    platform,
    check: async (doc, view, at) => {
      const { kinds: bound, issues } = await prepareKinds(doc, kinds, view, at, platform);
      return [...issues, ...checkDocument(doc, bound, view)];
    },
  });
}

/**
 * A kind whose checks need I/O first (the `plugin` kind finds its plugins):
 * called once per load, before the checks, with the document's plugin
 * directories; returns the kind to check with and warnings about directories.
 */
interface PreparingKind {
  prepareChecks(env: {
    directories: readonly string[];
    baseDir: string;
    platform: Platform;
  }): Promise<{ kind: SourceKind; warnings: { index: number; message: string }[] }>;
}

async function prepareKinds(
  doc: Document,
  kinds: readonly SourceKind[],
  view: CheckView,
  at: { baseDirOf(path: (string | number)[]): string },
  platform: Platform,
): Promise<{ kinds: readonly SourceKind[]; issues: ConfigIssue[] }> {
  const path = ["custom_metrics", "plugin_directories"];
  // Directories that were not written validly are not searched: their errors come first.
  if (!kinds.some((k) => "prepareChecks" in k) || !view.known(path)) return { kinds, issues: [] };
  const directories = doc.custom_metrics.plugin_directories;
  const baseDir = at.baseDirOf(path);
  const issues: ConfigIssue[] = [];
  const bound: SourceKind[] = [];
  for (const k of kinds) {
    if (!("prepareChecks" in k)) {
      bound.push(k);
      continue;
    }
    const r = await (k as SourceKind & PreparingKind).prepareChecks({
      directories,
      baseDir,
      platform,
    });
    bound.push(r.kind);
    for (const w of r.warnings) {
      issues.push({ path: [...path, w.index], message: w.message, severity: "warning" });
    }
  }
  return { kinds: bound, issues };
}
