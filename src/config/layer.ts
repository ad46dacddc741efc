/**
 * One configuration source turned into a {@linkcode Layer}: bytes read,
 * UTF-8 checked, TOML parsed, key positions scanned, values normalised.
 * Composition (several `-c`, and later `include`/`extends`) merges layers in order.
 * @module
 */
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { ConfigError, errorMessage } from "../core/mod.ts";
import type { Platform } from "../core/mod.ts";
import { formatPath, isTable, setOwn } from "./path.ts";
import { codePoints, MAX_DEPTH, type Path, PositionMap, scanPositions } from "./positions.ts";

/** A parsed configuration document and where its keys were written. */
export interface Layer {
  /** The name used in messages: the path as given, or the embedded name. */
  file: string;
  /** Absolute directory that relative paths written in this layer resolve against. */
  baseDir: string;
  /** Plain TOML values: tables are plain objects, integers are numbers. */
  doc: Record<string, unknown>;
  positions: PositionMap;
}

/** A layer, or the errors that prevented it. */
export interface LayerResult {
  layer?: Layer;
  errors: ConfigError[];
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  ENOTDIR: "no such file",
  EISDIR: "is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
};

/** Reads and parses one config file; every failure is a located error. */
export async function readLayer(
  file: string,
  platform: Pick<Platform, "readFile" | "stat" | "cwd">,
): Promise<LayerResult & { read: boolean }> {
  const fail = (why: string) => ({
    read: false,
    errors: [
      new ConfigError({ file, line: 1, col: 1, path: "" }, `cannot read config file: ${why}`),
    ],
  });
  let bytes: Uint8Array;
  try {
    const info = await platform.stat(file);
    if (!info) return fail("no such file");
    if (info.isDirectory) return fail("is a directory");
    bytes = await platform.readFile(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return fail(READ_ERRORS[code ?? ""] ?? errorMessage(err).split("\n")[0]);
  }
  const baseDir = dirname(resolve(platform.cwd(), file));
  const decoded = decodeUtf8(bytes);
  if ("error" in decoded) {
    const { line, col, message } = decoded.error;
    return { read: true, errors: [new ConfigError({ file, line, col, path: "" }, message)] };
  }
  return { read: true, ...parseLayer(file, decoded.text, baseDir) };
}

/** Parses TOML text into a layer. */
export function parseLayer(file: string, text: string, baseDir: string): LayerResult {
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(text, { integersAsBigInt: "asNeeded" });
  } catch (err) {
    return { errors: [syntaxError(file, text, err)] };
  }
  const positions = scanPositions(text);
  // Every later pass (merge, validation, rendering) walks the tree recursively.
  const deep = tooDeep(parsed);
  if (deep) {
    const where = { file, ...positions.nearest(deep), path: shortPath(deep) };
    return { errors: [new ConfigError(where, `nesting deeper than ${MAX_DEPTH} levels`)] };
  }
  const errors: ConfigError[] = [];
  const doc = normalise(parsed, [], (path, value) => {
    const pos = positions.nearest(path);
    errors.push(
      new ConfigError(
        { file, ...pos, path: formatPath(path) },
        `integer ${value} is out of range; integers must be between -(2^53-1) and 2^53-1`,
      ),
    );
  }) as Record<string, unknown>;
  return { layer: { file, baseDir, doc, positions }, errors };
}

function syntaxError(file: string, text: string, err: unknown): ConfigError {
  if (err instanceof TomlError) {
    // smol-toml appends a code frame after a blank line; users get the first line only.
    const detail = err.message.replace(/^Invalid TOML document: /, "").split("\n\n")[0];
    const lineText = text.split(/\r?\n/)[err.line - 1] ?? "";
    const col = codePoints(lineText.slice(0, err.column - 1)) + 1;
    return new ConfigError({ file, line: err.line, col, path: "" }, `invalid TOML: ${detail}`);
  }
  return new ConfigError({ file, line: 1, col: 1, path: "" }, `invalid TOML: ${errorMessage(err)}`);
}

/** The first path (in key order) more than `MAX_DEPTH` keys and indices deep. */
function tooDeep(root: Record<string, unknown>): Path | undefined {
  // Iterative, since the input is what may be too deep for recursion.
  const stack: [unknown, Path][] = [[root, []]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    const keys: (string | number)[] = Array.isArray(value)
      ? Array.from(value.keys())
      : Object.keys(value as Record<string, unknown>);
    if (keys.length > 0 && path.length === MAX_DEPTH) return [...path, keys[0]];
    for (let i = keys.length - 1; i >= 0; i--) {
      const kid = (value as Record<string | number, unknown>)[keys[i]];
      if (Array.isArray(kid) || isTable(kid)) stack.push([kid, [...path, keys[i]]]);
    }
  }
  return undefined;
}

/** `a.b.c...`: a path shortened for a message, since it may be thousands of keys long. */
function shortPath(path: Path): string {
  return formatPath(path.slice(0, 3)) + (path.length > 3 ? "..." : "");
}

/** Copies parsed TOML into plain objects; unsafe big integers become numbers after `onBigInt`. */
function normalise(
  value: unknown,
  path: Path,
  onBigInt: (path: Path, value: bigint) => void,
): unknown {
  if (typeof value === "bigint") {
    onBigInt(path, value);
    return Number(value);
  }
  if (Array.isArray(value)) return value.map((v, i) => normalise(v, [...path, i], onBigInt));
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      setOwn(out, k, normalise(v, [...path, k], onBigInt));
    }
    return out;
  }
  return value;
}

/**
 * Decodes strict UTF-8 (a leading BOM is dropped). On failure, says where the
 * first bad byte is.
 */
export function decodeUtf8(
  bytes: Uint8Array,
): { text: string } | { error: { line: number; col: number; message: string } } {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const prefix = new TextDecoder().decode(bytes.subarray(lineStart, at));
    const col = codePoints(prefix.replace(/^\uFEFF/, "")) + 1;
    const hex = bytes[at].toString(16).toUpperCase().padStart(2, "0");
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) ||
      (bytes[0] === 0xfe && bytes[1] === 0xff);
    const hint = utf16
      ? "the file looks UTF-16 encoded; save it as UTF-8"
      : "config files must be UTF-8";
    return { error: { line, col, message: `invalid UTF-8 byte 0x${hex}; ${hint}` } };
  }
}

/** Offset of the first byte that starts or continues an invalid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      // A broken sequence is reported at its first byte.
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return i;
}
