/**
 * Loads and validates a configuration against the full document schema.
 * @module
 */
import { loadConfig, type LoadResult } from "../config/mod.ts";
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
    check: (doc, view) => checkDocument(doc, kinds, view),
  });
}
