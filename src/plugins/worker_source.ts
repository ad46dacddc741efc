/**
 * The code that runs inside a plugin's Worker, as text: the host starts the
 * Worker from a `blob:` URL, so that nothing has to be fetched or found on
 * disk (from a URL or in a compiled binary alike). It imports the plugin's
 * entry, routes `console.*` to the host, and answers init/collect/close.
 * @module
 */

/** Messages the Worker accepts. */
export type ToWorker =
  | {
    type: "init";
    entry: string;
    name: string;
    options: Record<string, unknown>;
    /** Only import the entry and check its export (\`sextant plugins check\`); \`init()\` is not called. */
    check?: boolean;
  }
  | { type: "collect"; id: number }
  | { type: "close" };

/** Messages the Worker sends. */
export type FromWorker =
  | { type: "ready" }
  /** `json`: the JSON text of what `collect()` returned (checked by the receiver's sample parser). */
  | { type: "result"; id: number; json: string }
  | { type: "error"; id?: number; phase: string; message: string }
  | { type: "log"; level: string; text: string }
  | { type: "closed" };

/** The Worker's source (plain JavaScript). */
export const WORKER_SOURCE = `
let plugin, ctx;
// Taken before the plugin is imported, so that it cannot swap the encoder under its own results.
const stringify = JSON.stringify;
const post = (m) => self.postMessage(m);
const show = (a) => a.map((x) => {
  if (typeof x === "string") return x;
  if (x instanceof Error) return x.message;
  try { return JSON.stringify(x); } catch { return String(x); }
}).join(" ").slice(0, 2000);
const out = self.console;
for (const level of ["log", "info", "warn", "error", "debug"]) {
  out[level] = (...a) => post({ type: "log", level, text: show(a) });
}
const describe = (err) => String(err && err.message !== undefined ? err.message : err).slice(0, 2000);
self.onmessage = async (e) => {
  const m = e.data;
  try {
    if (m.type === "init") {
      const mod = await import(m.entry);
      plugin = mod.default;
      if (!plugin || typeof plugin.collect !== "function") {
        throw new Error("the entry's default export has no collect() function");
      }
      if (m.check) return post({ type: "ready" });
      ctx = Object.freeze({
        name: m.name,
        options: m.options,
        log: (text) => post({ type: "log", level: "info", text: show([text]) }),
      });
      if (typeof plugin.init === "function") await plugin.init(ctx);
      post({ type: "ready" });
    } else if (m.type === "collect") {
      const samples = await plugin.collect(ctx);
      // Encoded once, here; the receiver parses it once, in the JSON sample parser.
      let json;
      try {
        json = stringify(samples ?? []);
      } catch {
        // A value JSON cannot encode (a BigInt): only that sample is lost. A BigInt within the
        // safe range becomes a number; a larger one a string, which the parser rejects per sample.
        json = stringify(samples ?? [], (_k, v) =>
          typeof v === "bigint"
            ? (v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v.toString() + "n")
            : v);
      }
      post({ type: "result", id: m.id, json: json === undefined ? "null" : json });
    } else if (m.type === "close") {
      if (plugin && typeof plugin.close === "function") await plugin.close();
      post({ type: "closed" });
    }
  } catch (err) {
    post({ type: "error", id: m.id, phase: m.type, message: describe(err) });
  }
};
`;
