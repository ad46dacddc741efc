/**
 * Composition of one `-c` file into layers: `extends = "base.toml"` comes
 * first (the file overrides its base), then the file itself, then every file
 * its `include = ["conf.d/*.toml"]` globs match (sorted, each overriding the
 * ones before). Paths are relative to the including file. Cycles, missing
 * files and bad values are located errors that show the chain of files.
 * @module
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import { ConfigError } from "../core/mod.ts";
import type { Platform } from "../core/mod.ts";
import { type Layer, readLayer } from "./layer.ts";
import { formatPath } from "./path.ts";
import type { Path } from "./positions.ts";

/** Top-level keys the loader handles itself; they never reach the schema. */
export const LOADER_KEYS = ["include", "extends", "public_env"] as const;

/** How deep `extends`/`include` may nest before it is called a runaway. */
const MAX_CHAIN = 16;

/** What {@linkcode composeFile} found. */
export interface Composed {
  layers: Layer[];
  errors: ConfigError[];
  /** Every file read (absolute), to watch for changes. */
  watchFiles: string[];
  /** Directories that globs read (absolute), to watch for new files. */
  watchDirs: string[];
  /** Files read, as named in messages. */
  files: string[];
  /** Variables declared public (`public_env`) by any of the files. */
  publicEnv: string[];
  /** False when a file could not be read or parsed (validation would mislead). */
  complete: boolean;
}

type Plat = Pick<Platform, "readFile" | "stat" | "cwd" | "readDir">;

interface Ctx {
  platform: Plat;
  out: Composed;
}

/** Expands one `-c` file (as given) into its layers in merge order. */
export async function composeFile(file: string, platform: Plat): Promise<Composed> {
  const out: Composed = {
    layers: [],
    errors: [],
    watchFiles: [],
    watchDirs: [],
    files: [],
    publicEnv: [],
    complete: true,
  };
  await expand(file, resolve(platform.cwd(), file), [], undefined, { platform, out });
  return out;
}

/** Where an `include`/`extends` value was written, for errors about the file it names. */
interface Ref {
  layer: Layer;
  path: Path;
}

function located(ref: Ref, message: string): ConfigError {
  const { layer, path } = ref;
  return new ConfigError(
    { file: layer.file, ...layer.positions.nearest(path), path: formatPath(path) },
    message,
  );
}

function chainText(chain: string[], next: string): string {
  return [...chain, next].join(" -> ");
}

async function expand(
  name: string,
  abs: string,
  chain: string[],
  ref: Ref | undefined,
  ctx: Ctx,
): Promise<void> {
  const { out } = ctx;
  if (chain.includes(name)) {
    out.errors.push(located(ref!, `include cycle: ${chainText(chain, name)}`));
    out.complete = false;
    return;
  }
  if (chain.length >= MAX_CHAIN) {
    out.errors.push(
      located(ref!, `includes nest deeper than ${MAX_CHAIN} files: ${chainText(chain, name)}`),
    );
    out.complete = false;
    return;
  }
  out.watchFiles.push(abs);
  const r = await readLayer(name, ctx.platform);
  if (r.read) out.files.push(name);
  if (!r.layer) {
    out.complete = false;
    if (ref && !r.read) {
      // "cannot read config file: no such file" belongs at the reference, with the chain.
      const why = r.errors[0].detail.replace(/^cannot read config file: /, "");
      out.errors.push(
        located(ref, `cannot read ${JSON.stringify(name)}: ${why} (${chainText(chain, name)})`),
      );
    } else out.errors.push(...r.errors);
    return;
  }
  out.errors.push(...r.errors);
  const layer = r.layer;
  const here = [...chain, name];
  const doc = { ...layer.doc };
  for (const k of LOADER_KEYS) delete doc[k];
  const self: Layer = { ...layer, doc };

  const base = layer.doc.extends;
  if (base !== undefined) {
    if (typeof base !== "string" || base === "") {
      out.errors.push(located({ layer, path: ["extends"] }, expectedFound("a file path", base)));
      out.complete = false;
    } else {
      const target = resolve(layer.baseDir, base);
      await expand(display(target, ctx), target, here, { layer, path: ["extends"] }, ctx);
    }
  }

  const pub = layer.doc.public_env;
  if (pub !== undefined) {
    if (Array.isArray(pub) && pub.every((v) => typeof v === "string")) {
      out.publicEnv.push(...pub);
    } else {
      out.errors.push(
        located({ layer, path: ["public_env"] }, expectedFound("an array of variable names", pub)),
      );
    }
  }

  out.layers.push(self);

  const inc = layer.doc.include;
  if (inc === undefined) return;
  const patterns = typeof inc === "string" ? [inc] : inc;
  if (!Array.isArray(patterns)) {
    out.errors.push(
      located({ layer, path: ["include"] }, expectedFound("an array of paths or globs", inc)),
    );
    out.complete = false;
    return;
  }
  for (let i = 0; i < patterns.length; i++) {
    const pattern = patterns[i];
    const path = typeof inc === "string" ? ["include"] : ["include", i];
    if (typeof pattern !== "string" || pattern === "") {
      out.errors.push(located({ layer, path }, expectedFound("a path or glob", pattern)));
      out.complete = false;
      continue;
    }
    const full = isAbsolute(pattern) ? pattern : join(layer.baseDir, pattern);
    if (!/[*?[]/.test(pattern)) {
      await expand(display(full, ctx), full, here, { layer, path }, ctx);
      continue;
    }
    const { matches, dirs } = await glob(full, ctx.platform);
    out.watchDirs.push(...dirs);
    for (const m of matches) await expand(display(m, ctx), m, here, { layer, path }, ctx);
  }
}

function expectedFound(what: string, value: unknown): string {
  const found = typeof value === "string"
    ? `string ${JSON.stringify(value)}`
    : Array.isArray(value)
    ? "an array"
    : typeof value === "object"
    ? "a table"
    : `${typeof value} ${String(value)}`;
  return `expected ${what}, found ${found}`;
}

/** A path as messages show it: relative to the working directory when below it. */
function display(abs: string, ctx: Ctx): string {
  const rel = relative(ctx.platform.cwd(), abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}

/**
 * Files matching an absolute glob (`*`, `?` and `[...]` within one path
 * segment; no `**`), sorted; and the directories read, to watch for new files.
 */
export async function glob(
  pattern: string,
  platform: Pick<Platform, "readDir">,
): Promise<{ matches: string[]; dirs: string[] }> {
  const segments = pattern.split("/");
  let bases = [segments[0] === "" ? "/" : segments[0]];
  const dirs: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i];
    if (seg === "") continue;
    const last = i === segments.length - 1;
    if (!/[*?[]/.test(seg)) {
      bases = bases.map((b) => join(b, seg));
      continue;
    }
    const re = segmentRegExp(seg);
    const next: string[] = [];
    for (const base of bases) {
      let entries;
      try {
        entries = await platform.readDir(base);
      } catch {
        continue; // a directory that does not exist matches nothing
      }
      dirs.push(base);
      for (const e of entries) {
        if (e.name.startsWith(".") && !seg.startsWith(".")) continue;
        if (!re.test(e.name)) continue;
        if (last ? e.isFile || e.isSymlink : e.isDirectory || e.isSymlink) {
          next.push(join(base, e.name));
        }
      }
    }
    bases = next;
  }
  return { matches: [...new Set(bases)].sort(), dirs };
}

function segmentRegExp(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end === -1) re += "\\[";
      else {
        const body = seg.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
