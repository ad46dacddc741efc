/**
 * The plugin sources of a running agent, for `/status`, the self-metrics
 * and the admin API's load/unload/reload.
 * @module
 */
import type { PluginSource, PluginStatus } from "./plugin_source.ts";

/** Admin actions on one plugin source. */
export const PLUGIN_ACTIONS = ["load", "unload", "reload"] as const;
/** One admin action. */
export type PluginAction = typeof PLUGIN_ACTIONS[number];

/** Keeps the plugin sources of an agent. */
export class PluginRegistry {
  #sources = new Map<string, PluginSource>();

  add(s: PluginSource): void {
    this.#sources.set(s.name, s);
  }

  remove(s: PluginSource): void {
    if (this.#sources.get(s.name) === s) this.#sources.delete(s.name);
  }

  /** Every plugin source's status, by source name. */
  status(): PluginStatus[] {
    return [...this.#sources.values()].map((s) => s.status()).sort((a, b) =>
      a.source < b.source ? -1 : a.source > b.source ? 1 : 0
    );
  }

  /** Runs an admin action; resolves with the new status, or an error message. */
  async act(
    source: string,
    action: string,
  ): Promise<{ ok: true; status: PluginStatus } | { ok: false; status: number; error: string }> {
    const s = this.#sources.get(source);
    if (!s) {
      return { ok: false, status: 404, error: `no plugin source ${JSON.stringify(source)}` };
    }
    if (!(PLUGIN_ACTIONS as readonly string[]).includes(action)) {
      return {
        ok: false,
        status: 404,
        error: `unknown action ${JSON.stringify(action)}; expected ${PLUGIN_ACTIONS.join(", ")}`,
      };
    }
    try {
      await s[action as PluginAction]();
    } catch (err) {
      return { ok: false, status: 422, error: (err as Error).message ?? String(err) };
    }
    return { ok: true, status: s.status() };
  }
}
