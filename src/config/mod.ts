/**
 * Configuration: load TOML files, compose several of them, validate against
 * the components' zod schemas and report every problem at once with its
 * `file:line:col` and key path; print the effective config with secrets masked.
 *
 * @example Loading the config of `sextant validate -c a.toml -c b.toml`
 * ```ts
 * import { loadConfig } from "./src/config/mod.ts";
 * const result = await loadConfig({ files: ["a.toml", "b.toml"], schema, platform });
 * for (const e of result.errors) console.error(e.message); // file:line:col: key.path: message
 * ```
 * @module
 */
export * from "./fields.ts";
export { type ConfigIssue, loadConfig, type LoadOptions, type LoadResult } from "./load.ts";
export { type CheckView, WHOLE } from "./salvage.ts";
export { renderConfig } from "./render.ts";
export { didYouMean } from "./suggest.ts";
export { formatPath } from "./path.ts";
export { isSecretKey } from "./secrets.ts";
export { unifiedDiff } from "./diff.ts";
export {
  detectVersion,
  type FormatVersion,
  migrate,
  type MigrationFile,
  type MigrationNote,
  type MigrationResult,
  MIGRATIONS,
  type MigrationStep,
} from "./migrate.ts";
export { type ConfigWatch, watchConfig, type WatchOptions } from "./watch.ts";
