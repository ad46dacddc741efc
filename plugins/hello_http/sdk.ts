/**
 * The plugin SDK: types only. A module plugin imports them with
 * `import type`, so it needs no runtime import from Sextant.
 *
 * @example A module plugin
 * ```ts
 * import type { Plugin } from "./sdk.ts";
 * export default { collect: () => [{ name: "up", value: 1 }] } satisfies Plugin;
 * ```
 * @module
 */

/** One measurement a plugin returns; its name becomes `<source name>.<name>`. */
export interface PluginSample {
  name: string;
  value: number;
  attributes?: Record<string, string>;
  /** @default {"gauge"} */
  type?: "gauge" | "counter" | "updowncounter" | "histogram";
  /** Unix milliseconds. @default the collection time */
  timestamp?: number;
  unit?: string;
  description?: string;
}

/** What `init` and `collect` receive. */
export interface PluginContext {
  /** The plugin's name. */
  readonly name: string;
  /** The source's `options`, checked against the manifest and with defaults filled in. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Writes one line to Sextant's log (debug level). */
  log(text: string): void;
}

/** A module plugin's default export. */
export interface Plugin {
  init?(ctx: PluginContext): void | Promise<void>;
  collect(ctx: PluginContext): PluginSample[] | Promise<PluginSample[]>;
  close?(): void | Promise<void>;
}
