/**
 * `plugin.toml`: the manifest every plugin directory holds, its schema, and
 * the checks that refuse a plugin with one clear line per problem.
 * @module
 */
import { isAbsolute, relative, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { didYouMean } from "../config/mod.ts";
import { errorMessage, type Platform } from "../core/mod.ts";
import { absolutePaths, NO_PERMISSIONS, type Permissions } from "./permissions.ts";
import { HOST_API_VERSION, parseRange, parseVersion, satisfies } from "./semver.ts";

/** The manifest's file name. */
export const MANIFEST_FILE = "plugin.toml";

const grant = z.union([z.boolean(), z.array(z.string().min(1))]);

const optionSpec = z.strictObject({
  type: z.enum(["string", "number", "integer", "boolean", "array", "object"]),
  description: z.string().default(""),
  required: z.boolean().default(false),
  default: z.unknown().optional(),
  /** A secret value is redacted from logs and `/status`. */
  secret: z.boolean().default(false),
});

/** The manifest schema. */
export const manifestSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, {
    message: "expected a lower-case name: a letter, then letters, digits, '_' or '-'",
  }),
  version: z.string().refine((v) => parseVersion(v) !== undefined, {
    message: 'expected a semantic version like "1.2.0"',
  }),
  kind: z.enum(["module", "exec", "python"]),
  entry: z.string().min(1),
  api_version: z.string().refine((r) => parseRange(r) !== undefined, {
    message: 'expected a semver range like "^1"',
  }),
  description: z.string().default(""),
  /** For `exec`: run per collection, or keep running and ask with a newline. */
  mode: z.enum(["once", "daemon"]).default("once"),
  /** For `exec`: how its output is parsed. */
  format: z.enum(["auto", "json", "prometheus"]).default("auto"),
  /** For `python`: the interpreter. */
  interpreter: z.string().min(1).default("python3"),
  permissions: z.strictObject({
    net: grant.default(false),
    read: grant.default(false),
    env: grant.default(false),
    write: grant.default(false),
    run: grant.default(false),
    sys: grant.default(false),
  }).prefault({}),
  options: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), optionSpec).default({}),
});

/** A validated manifest. */
export type Manifest = z.output<typeof manifestSchema>;

/** A plugin found on disk: valid (`manifest` set, no problems) or refused. */
export interface PluginInfo {
  /** Absolute directory of the plugin. */
  dir: string;
  /** The manifest's name, or the directory's when the manifest is unreadable. */
  name: string;
  manifest?: Manifest;
  /** Absolute entry path. */
  entryPath?: string;
  /** Requested permissions with absolute paths. */
  permissions?: Permissions;
  /** One line each; empty when the plugin is usable. */
  problems: string[];
}

/**
 * Reads and checks the manifest in `dir`: schema, host API compatibility,
 * the entry inside the directory and present.
 *
 * @example
 * ```ts
 * const info = await loadManifest("/opt/plugins/queue", platform);
 * if (info.problems.length) console.error(info.problems.join("\n"));
 * ```
 */
export async function loadManifest(dir: string, platform: Platform): Promise<PluginInfo> {
  const file = resolve(dir, MANIFEST_FILE);
  const info: PluginInfo = { dir, name: dir.split("/").pop() || dir, problems: [] };
  let text: string;
  try {
    text = await platform.readTextFile(file);
  } catch (err) {
    info.problems.push(`${file}: cannot read the manifest: ${errorMessage(err)}`);
    return info;
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    info.problems.push(`${file}: invalid TOML: ${errorMessage(err).split("\n")[0]}`);
    return info;
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.length ? issue.path.join(".") : "(manifest)";
      info.problems.push(`${file}: ${path}: ${issue.message}`);
    }
    if (typeof (raw as { name?: unknown }).name === "string") {
      info.name = (raw as { name: string }).name;
    }
    return info;
  }
  const m = parsed.data;
  info.name = m.name;
  if (!satisfies(HOST_API_VERSION, m.api_version)) {
    info.problems.push(
      `${file}: api_version: the plugin supports host API ${
        JSON.stringify(m.api_version)
      }, but this Sextant implements ${HOST_API_VERSION}`,
    );
  }
  const entry = resolve(dir, m.entry);
  const rel = relative(dir, entry);
  if (rel.startsWith("..") || isAbsolute(rel)) {
    info.problems.push(
      `${file}: entry: ${JSON.stringify(m.entry)} is outside the plugin directory`,
    );
  } else {
    const st = await platform.stat(entry).catch(() => null);
    if (!st?.isFile) {
      info.problems.push(`${file}: entry: ${JSON.stringify(m.entry)} does not exist`);
    } else if (m.kind === "exec" && st.mode !== undefined && (st.mode & 0o111) === 0) {
      info.problems.push(
        `${file}: entry: ${JSON.stringify(m.entry)} is not executable (chmod +x ${m.entry})`,
      );
    }
  }
  if (m.kind === "module" && !/\.(m?[jt]s|tsx?)$/.test(m.entry)) {
    info.problems.push(`${file}: entry: a module plugin's entry must be a .ts or .js file`);
  }
  if (m.kind === "python" && !m.entry.endsWith(".py")) {
    info.problems.push(`${file}: entry: a python plugin's entry must be a .py file`);
  }
  for (const [key, spec] of Object.entries(m.options)) {
    if (spec.default !== undefined && !matchesType(spec.type, spec.default)) {
      info.problems.push(`${file}: options.${key}.default: expected ${article(spec.type)}`);
    }
  }
  info.problems.push(...(await linksOut(dir, platform)).map((l) => `${dir}: ${l}`));
  info.manifest = m;
  info.entryPath = entry;
  info.permissions = { ...NO_PERMISSIONS, ...absolutePaths(m.permissions, dir) } as Permissions;
  return info;
}

/** Entries walked at most when looking for symlinks (a plugin is a handful of files). */
const MAX_WALK = 10_000;

/**
 * Symlinks under `dir` that resolve outside it (or nowhere). A plugin always
 * gets read access to its own directory, and Deno checks a path before
 * following symlinks, so a link out would get around a read denial.
 */
async function linksOut(dir: string, platform: Platform): Promise<string[]> {
  const root = await platform.realPath(dir);
  if (!root) return [];
  const problems: string[] = [];
  const queue = [""];
  let walked = 0;
  while (queue.length) {
    const rel = queue.shift()!;
    let entries;
    try {
      entries = await platform.readDir(resolve(dir, rel));
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++walked > MAX_WALK) {
        problems.push(`more than ${MAX_WALK} files: too many to check for symlinks`);
        return problems;
      }
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymlink) {
        const target = await platform.realPath(resolve(dir, name)).catch(() => null);
        if (target === null) {
          problems.push(`${name} is a symlink to nothing (or a loop); plugins may not ship those`);
        } else if (target !== root && !target.startsWith(`${root}/`)) {
          problems.push(
            `${name} is a symlink to ${target}, outside the plugin directory; copy the file in instead`,
          );
        }
      } else if (e.isDirectory) queue.push(name);
    }
  }
  return problems;
}

function matchesType(type: Manifest["options"][string]["type"], v: unknown): boolean {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return Number.isInteger(v);
    case "boolean":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
  }
}

/**
 * Checks a source's `options` against the manifest's schema and fills the
 * defaults. Returns the options, one problem per bad key (`options.<key>: ...`),
 * and the same problems by key for located config errors.
 */
export function checkOptions(
  m: Manifest,
  options: Record<string, unknown>,
): {
  options: Record<string, unknown>;
  problems: string[];
  issues: { key: string; message: string }[];
} {
  const issues: { key: string; message: string }[] = [];
  const out: Record<string, unknown> = {};
  const declared = Object.keys(m.options);
  for (const [key, value] of Object.entries(options)) {
    const spec = m.options[key];
    if (!spec) {
      if (declared.length) {
        const hint = didYouMean(key, declared.filter((k) => !(k in options)));
        issues.push({
          key,
          message: `plugin ${JSON.stringify(m.name)} has no option ${JSON.stringify(key)}${
            hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ` (it has ${declared.join(", ")})`
          }`,
        });
      } else out[key] = value; // a plugin without an options schema takes what it is given
      continue;
    }
    if (!matchesType(spec.type, value)) {
      issues.push({ key, message: `expected ${article(spec.type)}, found ${describe(value)}` });
      continue;
    }
    out[key] = value;
  }
  for (const [key, spec] of Object.entries(m.options)) {
    if (key in out || key in options) continue;
    if (spec.default !== undefined) out[key] = spec.default;
    else if (spec.required) {
      issues.push({ key, message: `plugin ${JSON.stringify(m.name)} requires this option` });
    }
  }
  return {
    options: out,
    problems: issues.map((i) => `options.${i.key}: ${i.message}`),
    issues,
  };
}

/** The option values the manifest marks secret (non-empty strings). */
export function secretOptions(m: Manifest, options: Record<string, unknown>): string[] {
  return Object.entries(m.options)
    .filter(([k, s]) => s.secret && typeof options[k] === "string" && options[k] !== "")
    .map(([k]) => options[k] as string);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  return `${typeof v} ${JSON.stringify(v)}`.slice(0, 80);
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}
