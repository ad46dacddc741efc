/**
 * Wiring and scheduling: the pipeline that runs sources, feeds the
 * exporters and serves the admin API.
 * @module
 */
export { Agent, type AgentOptions, type AgentStatus } from "./agent.ts";
export { type AdminTarget, adminHandler, startAdmin } from "./admin.ts";
export { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TOML } from "./default_config.ts";
export { loadDocument } from "./load.ts";
export { type CollectionResult, type SourceStatus } from "./runner.ts";
export { Scheduler, type Task } from "./scheduler.ts";
export {
  buildDocumentSchema,
  checkDocument,
  CONFIG_VERSION,
  type Document,
  resolveSource,
  type ResolvedSource,
} from "./schema.ts";
