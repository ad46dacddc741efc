/**
 * Environment interpolation inside string values, after TOML parsing (so a
 * value can never inject TOML structure): `${VAR}`, `${VAR:-default}`,
 * `${VAR:?message}`, `${file:/path}` and `$$` for a literal `$`. A `$` followed
 * by anything else stays as written (SQL placeholders such as `$1`).
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { ConfigError, errorMessage } from "../core/mod.ts";
import type { Layer } from "./layer.ts";
import { formatPath, isTable, setOwn } from "./path.ts";
import type { Path } from "./positions.ts";

/** What interpolation may read. */
export interface InterpolationEnv {
  env(name: string): string | undefined;
  readTextFile(path: string): Promise<string>;
}

/** One `${...}` or `$$` inside a string. */
type Part =
  | { kind: "text"; text: string }
  | { kind: "var"; name: string; op?: ":-" | ":?"; arg: string; raw: string; inner?: Part[] }
  | { kind: "file"; path: string; raw: string };

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How deep references may nest in defaults (`${A:-${B:-${C}}}` is 3). */
export const MAX_NESTING = 8;
/** A file secret larger than this is refused (it is surely the wrong file). */
const MAX_FILE_BYTES = 64 * 1024;

/** The index of the `}` closing the `${` at `open`, skipping nested `${...}` and `$$`; -1 if none. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "$" && (s[i + 1] === "$" || s[i + 1] === "{")) {
      if (s[i + 1] === "{") depth++;
      i++;
    } else if (s[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

/**
 * Splits a string into text and references; an error message when a `${` is
 * malformed. A default (`${A:-...}`) may hold references itself, nested at most
 * {@linkcode MAX_NESTING} deep; they are parsed when the default is used.
 */
export function parseTemplate(s: string, depth = 1): Part[] | { error: string } {
  const parts: Part[] = [];
  let text = "";
  let i = 0;
  while (i < s.length) {
    const at = s.indexOf("$", i);
    if (at === -1) {
      text += s.slice(i);
      break;
    }
    text += s.slice(i, at);
    const next = s[at + 1];
    if (next === "$") {
      text += "$";
      i = at + 2;
      continue;
    }
    if (next !== "{") {
      text += "$";
      i = at + 1;
      continue;
    }
    const close = closingBrace(s, at);
    if (close === -1) {
      return {
        error: `unterminated ${JSON.stringify(s.slice(at, at + 40))}; write $$ for a literal $`,
      };
    }
    const body = s.slice(at + 2, close);
    const raw = s.slice(at, close + 1);
    if (text) parts.push({ kind: "text", text });
    text = "";
    i = close + 1;
    if (body.startsWith("file:")) {
      const path = body.slice(5);
      if (!path) return { error: `${raw}: expected a path after "file:"` };
      parts.push({ kind: "file", path, raw });
      continue;
    }
    const m = /^([^:]*)(?:(:-|:\?)([\s\S]*))?$/.exec(body)!;
    if (!VAR_NAME.test(m[1])) {
      return {
        error: `invalid reference ${JSON.stringify(raw)}; expected \${VAR}, \${VAR:-default}, ` +
          `\${VAR:?message} or \${file:/path} (write $$ for a literal $)`,
      };
    }
    const op = m[2] as ":-" | ":?" | undefined;
    const arg = m[3] ?? "";
    if (op === ":-" && arg.includes("${")) {
      if (depth >= MAX_NESTING) {
        return { error: `${JSON.stringify(raw)}: references nest deeper than ${MAX_NESTING}` };
      }
      const inner = parseTemplate(arg, depth + 1);
      if ("error" in inner) return inner;
      parts.push({ kind: "var", name: m[1], op, arg, raw, inner });
      continue;
    }
    parts.push({ kind: "var", name: m[1], op, arg, raw });
  }
  if (text) parts.push({ kind: "text", text });
  return parts;
}

/** The interpolated layer, its errors, and the values that came from outside (secrets). */
export interface Interpolated {
  layer: Layer;
  errors: ConfigError[];
  /** Substituted values from the environment or files, unless their variable is public. */
  secrets: string[];
  /** Absolute paths of the `${file:...}` references, read or not (a reload watches them). */
  files: string[];
  /** Paths (in the layer) of the strings that could not be interpolated. */
  failed: Path[];
}

/**
 * Interpolates every string value of a layer (keys are left alone).
 * `publicVars` names variables whose values are not secrets.
 */
export async function interpolateLayer(
  layer: Layer,
  env: InterpolationEnv,
  publicVars: ReadonlySet<string>,
): Promise<Interpolated> {
  const errors: ConfigError[] = [];
  const secrets: string[] = [];
  const failed: Path[] = [];
  const fail = (path: Path, message: string) =>
    failed.push(path) && errors.push(
      new ConfigError(
        { file: layer.file, ...layer.positions.nearest(path), path: formatPath(path) },
        message,
      ),
    );

  // File secrets are read first, so that the walk itself is synchronous (documents may hold
  // a million strings, and only a few of them reference anything).
  const files = new Map<string, string | { error: string }>();
  const fileOf = (p: string) => (isAbsolute(p) ? p : resolve(layer.baseDir, p));
  const templates = new Map<string, Part[] | { error: string }>();
  const parse = (s: string) => {
    let t = templates.get(s);
    if (!t) templates.set(s, t = parseTemplate(s));
    return t;
  };
  const refs: string[] = [];
  visitStrings(layer.doc, (s) => {
    if (!s.includes("${file:")) return;
    const parts = parse(s);
    const collect = (list: Part[]): void => {
      for (const p of list) {
        if (p.kind === "file") refs.push(fileOf(p.path));
        else if (p.kind === "var" && p.inner) collect(p.inner);
      }
    };
    if (Array.isArray(parts)) collect(parts);
  });
  for (const file of new Set(refs)) {
    try {
      const content = await env.readTextFile(file);
      files.set(
        file,
        content.length > MAX_FILE_BYTES
          ? { error: `file is larger than ${MAX_FILE_BYTES} bytes` }
          : content.replace(/\r?\n$/, ""),
      );
    } catch (err) {
      files.set(file, { error: `cannot read secret file: ${readError(err)}` });
    }
  }

  const one = (s: string, path: Path): string => {
    if (!s.includes("$")) return s;
    const parts = parse(s);
    if ("error" in parts) {
      fail(path, parts.error);
      return s;
    }
    return expand(parts, path);
  };
  const expand = (parts: Part[], path: Path): string => {
    let out = "";
    for (const p of parts) {
      if (p.kind === "text") out += p.text;
      else if (p.kind === "file") {
        const value = files.get(fileOf(p.path))!;
        if (typeof value !== "string") {
          fail(path, `${p.raw}: ${value.error}`);
          continue;
        }
        secrets.push(value);
        out += value;
      } else {
        const value = env.env(p.name);
        if (value === undefined || (p.op && value === "")) {
          if (p.op === ":-") {
            out += p.inner ? expand(p.inner, path) : p.arg;
            continue;
          }
          const what = value === undefined ? "is not set" : "is empty";
          fail(
            path,
            p.op === ":?" && p.arg
              ? `environment variable ${p.name} ${what}: ${p.arg}`
              : `environment variable ${p.name} ${what}` +
                (p.op ? "" : ` (use \${${p.name}:-default} for a default)`),
          );
          continue;
        }
        if (!publicVars.has(p.name)) secrets.push(value);
        out += value;
      }
    }
    return out;
  };

  const walk = (value: unknown, path: Path): unknown => {
    if (typeof value === "string") return one(value, path);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (isTable(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) setOwn(out, k, walk(v, [...path, k]));
      return out;
    }
    return value;
  };

  const doc = walk(layer.doc, []) as Record<string, unknown>;
  return { layer: { ...layer, doc }, errors, secrets, files: [...files.keys()], failed };
}

/** Calls `fn` with every string value below `value`. */
function visitStrings(value: unknown, fn: (s: string) => void): void {
  if (typeof value === "string") fn(value);
  else if (Array.isArray(value)) { for (const v of value) visitStrings(v, fn); }
  else if (isTable(value)) { for (const v of Object.values(value)) visitStrings(v, fn); }
}

function readError(err: unknown): string {
  const code = (err as { code?: string }).code ?? (err as { name?: string }).name;
  if (code === "ENOENT" || code === "NotFound") return "no such file";
  if (code === "EACCES" || code === "PermissionDenied") return "permission denied";
  if (code === "EISDIR" || code === "IsADirectory") return "is a directory";
  return errorMessage(err).split("\n")[0];
}
