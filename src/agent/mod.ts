/**
 * Wiring and scheduling: the pipeline that runs sources, feeds the
 * exporters and serves the admin API.
 * @module
 */
export {
  Agent,
  type AgentOptions,
  type AgentStatus,
  type NextConfig,
  type PluginStatusProvider,
} from "./agent.ts";
export { Reloader, type ReloaderOptions, type ReloadResult } from "./reload.ts";
export type { ReloadChanges, ReloadRecord } from "./reload_state.ts";
export { adminHandler, type AdminTarget, startAdmin } from "./admin.ts";
export { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TOML } from "./default_config.ts";
export { loadDocument } from "./load.ts";
export { type CollectionResult, type SourceStatus } from "./runner.ts";
export { Scheduler, type Task } from "./scheduler.ts";
export { registerSecrets } from "./secrets.ts";
export {
  buildDocumentSchema,
  checkDocument,
  CONFIG_VERSION,
  type Document,
  type ResolvedSource,
  resolveSource,
} from "./schema.ts";
