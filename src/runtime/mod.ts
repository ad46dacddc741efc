/**
 * The only module that touches `Deno.*` or `Bun.*`: it picks the adapter for
 * the runtime Sextant was started on.
 * @module
 */
import type { Platform } from "../core/mod.ts";
import { bunPlatform } from "./bun.ts";
import { denoPlatform } from "./deno.ts";

export type { Platform } from "../core/mod.ts";

/** The platform of the running process. */
export const platform: Platform = "Bun" in globalThis ? bunPlatform() : denoPlatform();
export {
  createWorker,
  processStdio,
  type SelfExec,
  selfExec,
  type WorkerPermissions,
} from "./plugin_host.ts";
