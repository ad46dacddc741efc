/**
 * Plugins: discovery, manifests, compatibility, the sandboxed host for
 * module plugins, the exec and python protocols, and the lifecycle.
 * @module
 */
export { checkEntry, type EntryCheckEnv } from "./entry_check.ts";
export { discoverPlugins, type Discovery, findPlugin } from "./discovery.ts";
export {
  checkOptions,
  loadManifest,
  type Manifest,
  MANIFEST_FILE,
  type PluginInfo,
} from "./manifest.ts";
export { intersect, PERMISSION_KEYS, type Permissions } from "./permissions.ts";
export { createPluginKind, type PluginFields, pluginKind } from "./plugin_kind.ts";
export {
  type PluginEnvironment,
  PluginSource,
  type PluginState,
  type PluginStatus,
} from "./plugin_source.ts";
export { PLUGIN_ACTIONS, type PluginAction, PluginRegistry } from "./registry.ts";
export { pluginReport } from "./report.ts";
export { HOST_API_VERSION, satisfies } from "./semver.ts";
export type { Plugin, PluginContext, PluginSample } from "./sdk.ts";
export { DaemonBackend, OnceBackend } from "./exec_backend.ts";
export { ModuleBackend } from "./module_host.ts";
export { WorkerBackend } from "./worker_backend.ts";
export { NO_PERMISSIONS } from "./permissions.ts";
