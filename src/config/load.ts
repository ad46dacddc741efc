/**
 * The configuration loader: reads the files given with `-c` (or an embedded
 * default), merges them, validates the result with the caller's zod schema and
 * reports every problem at once as `file:line:col: key.path: message`.
 * @module
 */
import type { z } from "zod";
import { ConfigError, Redactor } from "../core/mod.ts";
import type { ConfigLocation, Platform } from "../core/mod.ts";
import { DEFAULT_MESSAGE, describeIssues } from "./issues.ts";
import { composeFile, LOADER_KEYS } from "./compose.ts";
import { interpolateLayer } from "./interpolate.ts";
import { type Layer, parseLayer } from "./layer.ts";
import { Locator, mergedPaths, mergeLayers } from "./merge.ts";
import { formatPath } from "./path.ts";
import { type CheckView, salvage, WHOLE } from "./salvage.ts";
import type { Path } from "./positions.ts";

/** A problem found by a cross-field check. */
export interface ConfigIssue {
  /** Document path, e.g. `["custom_metrics", "sources", 0, "timeout"]`. */
  path: (string | number)[];
  message: string;
  /** @default {"error"} */
  severity?: "error" | "warning";
}

/** Options of {@linkcode loadConfig}. */
export interface LoadOptions<T> {
  /** Config paths as given on the command line; later files override earlier ones. */
  files: string[];
  /** Used when `files` is empty; `name` stands in for the file name in messages. */
  embedded?: { name: string; text: string };
  /** Schema of the whole document. */
  schema: z.ZodType<T>;
  platform: Pick<Platform, "readFile" | "readTextFile" | "readDir" | "stat" | "cwd" | "env">;
  /**
   * Cross-field checks; paths are document paths. When the schema failed, they
   * run on the parts that validated (see {@linkcode CheckView}), so that one
   * run reports every error.
   */
  check?: (
    config: T,
    view: CheckView,
    at: { baseDirOf(path: Path): string },
  ) => ConfigIssue[] | Promise<ConfigIssue[]>;
}

/** What {@linkcode loadConfig} found. */
export interface LoadResult<T> {
  /** True when there are no errors (warnings are allowed). */
  ok: boolean;
  /** The validated config; present when `ok`. */
  config?: T;
  /** Every error, sorted by file (in command-line order), line and column. */
  errors: ConfigError[];
  warnings: ConfigError[];
  /** Files actually read, includes and bases too (an embedded default is not a file). */
  files: string[];
  /** Absolute paths to watch for reload: every file read (secret files too), and every directory a glob read. */
  watch: { files: string[]; dirs: string[] };
  /** Values interpolated from the environment or files: secrets to register with the redactor. */
  secrets: string[];
  /** The merged document (plain TOML values) before validation. */
  raw: Record<string, unknown>;
  /** Where a key was written; its nearest written ancestor when absent; `file:1:1` at worst. */
  locate(path: (string | number)[]): ConfigLocation;
  /** Absolute directory of the file that wrote a key, to resolve relative paths against. */
  baseDirOf(path: (string | number)[]): string;
}

/**
 * Loads, merges and validates configuration. User mistakes of any kind come
 * back as located errors in the result; nothing is thrown for them.
 *
 * @example Validating two files
 * ```ts
 * const result = await loadConfig({ files: ["base.toml", "prod.toml"], schema, platform });
 * if (!result.ok) for (const e of result.errors) console.error(e.message);
 * ```
 */
export async function loadConfig<T>(opts: LoadOptions<T>): Promise<LoadResult<T>> {
  const cwd = opts.platform.cwd();
  const errors: ConfigError[] = [];
  const warnings: ConfigError[] = [];
  const files: string[] = [];
  const layers: Layer[] = [];
  let complete = true;

  const watchFiles: string[] = [];
  const watchDirs: string[] = [];
  const publicEnv: string[] = [];
  if (opts.files.length > 0) {
    for (const file of opts.files) {
      const c = await composeFile(file, opts.platform);
      files.push(...c.files);
      watchFiles.push(...c.watchFiles);
      watchDirs.push(...c.watchDirs);
      errors.push(...c.errors);
      layers.push(...c.layers);
      publicEnv.push(...c.publicEnv);
      complete &&= c.complete;
    }
  } else if (opts.embedded) {
    const r = parseLayer(opts.embedded.name, opts.embedded.text, cwd);
    errors.push(...r.errors);
    if (r.layer) layers.push(r.layer);
    else complete = false;
  }
  // Files in merge order, for sorting errors.
  const sources = [...new Set(layers.map((l) => l.file).concat(opts.files))];
  if (sources.length === 0 && opts.embedded) sources.push(opts.embedded.name);

  const secrets: string[] = [];
  const accepted: Layer[] = [];
  const failed: { layer: number; path: Path }[] = [];
  const pub = new Set(publicEnv);
  for (const layer of layers) {
    const r = await interpolateLayer(
      withoutLoaderKeys(layer),
      { env: (n) => opts.platform.env(n), readTextFile: (p) => opts.platform.readTextFile(p) },
      pub,
    );
    errors.push(...r.errors);
    secrets.push(...r.secrets);
    watchFiles.push(...r.files);
    for (const path of r.failed) failed.push({ layer: accepted.length, path });
    accepted.push(r.layer);
  }
  const merged = mergeLayers(accepted);
  warnings.push(...merged.warnings);
  const locator = new Locator(accepted, merged.origins, {
    file: sources[0] ?? "<config>",
    baseDir: cwd,
  });
  const masker = new Redactor();
  for (const secret of secrets) masker.add(secret);
  const report = (path: Path, at: Path, message: string, warning = false) => {
    const loc = locator.locate(at);
    // An interpolated secret quoted as the "found" value must not leak into the message.
    const detail = masker.redact(message);
    (warning ? warnings : errors).push(new ConfigError({ ...loc, path: formatPath(path) }, detail));
  };

  let config: T | undefined;
  // A file that could not be read or parsed would make the rest look wrong; validate only complete input.
  if (complete) {
    const parsed = await validate(opts.schema, merged.doc);
    if (!parsed) {
      const first = sources[0] ?? "<config>";
      errors.push(new ConfigError({ file: first, line: 1, col: 1, path: "" }, TOO_MANY));
    } else {
      // A string whose interpolation failed may still validate; its value means nothing.
      const unknown = mergedPaths(merged.doc, merged.origins, failed);
      // An out-of-range integer was reported while parsing; zod's view of its rounded value adds nothing.
      const taken = new Set(errors.map((e) => where(e, e.path)));
      const issues = parsed.success ? [] : parsed.error.issues;
      for (
        const p of describeIssues(issues, opts.schema, merged.doc, (t) => masker.redact(t))
      ) {
        if (!taken.has(where(locator.locate(p.at), formatPath(p.path)))) {
          report(p.path, p.at, p.message);
        }
      }
      if (parsed.success) config = parsed.data;
      // The checks across fields: on the whole document, or on what did validate.
      const partial = !opts.check
        ? undefined
        : parsed.success && unknown.length === 0
        ? { data: parsed.data, view: WHOLE }
        : await salvage(opts.schema, merged.doc, issues, unknown);
      const checked = partial
        ? await opts.check!(partial.data, partial.view, { baseDirOf: (p) => locator.baseDirOf(p) })
        : [];
      for (const issue of checked) {
        const path = partial!.view.original(issue.path);
        if (!taken.has(where(locator.locate(path), formatPath(path)))) {
          report(path, path, issue.message, issue.severity === "warning");
        }
      }
    }
  }

  const order = (file: string) => {
    const i = sources.indexOf(file);
    return i === -1 ? sources.length : i;
  };
  const sorted = (list: ConfigError[]) =>
    [...new Map(list.map((e) => [e.message, e])).values()].sort((a, b) =>
      order(a.file) - order(b.file) || a.line - b.line || a.col - b.col
    );
  const finalErrors = sorted(errors);
  const ok = finalErrors.length === 0;
  return {
    ok,
    config: ok ? config : undefined,
    errors: finalErrors,
    warnings: sorted(warnings),
    files: [...new Set(files)],
    watch: { files: [...new Set(watchFiles)], dirs: [...new Set(watchDirs)] },
    secrets: [...new Set(secrets)],
    raw: merged.doc,
    locate: (path) => locator.locate(path),
    baseDirOf: (path) => locator.baseDirOf(path),
  };
}

const TOO_MANY = "too many problems to report; validation gave up";

/** Validates with zod; `undefined` when zod ran out of stack (it spreads arrays of issues into calls). */
async function validate<T>(
  schema: z.ZodType<T>,
  doc: Record<string, unknown>,
): Promise<z.ZodSafeParseResult<T> | undefined> {
  try {
    return await schema.safeParseAsync(doc, { error: () => DEFAULT_MESSAGE, reportInput: true });
  } catch (err) {
    // About 150,000 problems in one array or table are enough.
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

function where(loc: ConfigLocation, path: string): string {
  return `${loc.file}:${loc.line}:${loc.col}: ${path}`;
}

/** The layer without the keys the loader handled (embedded text may still hold them). */
function withoutLoaderKeys(layer: Layer): Layer {
  if (!LOADER_KEYS.some((k) => Object.hasOwn(layer.doc, k))) return layer;
  const doc = { ...layer.doc };
  for (const k of LOADER_KEYS) delete doc[k];
  return { ...layer, doc };
}
