/**
 * An example module plugin: fetches a URL (under the `net` allow-list in
 * plugin.toml) and reports whether it answered and how long it took.
 */
import type { Plugin, PluginContext } from "./sdk.ts";

const plugin: Plugin = {
  async collect(ctx: PluginContext) {
    const url = String(ctx.options.url);
    const t0 = performance.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return [
        { name: "up", value: res.ok ? 1 : 0, attributes: { url } },
        { name: "status", value: res.status, attributes: { url } },
        { name: "latency", value: performance.now() - t0, unit: "ms", attributes: { url } },
      ];
    } catch (err) {
      ctx.log(`fetch failed: ${(err as Error).message}`);
      return [{ name: "up", value: 0, attributes: { url } }];
    }
  },
};
export default plugin;
