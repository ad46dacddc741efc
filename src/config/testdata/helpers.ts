/**
 * Test helpers: config files in a temp dir, loaded with the real platform.
 * Node's fs API keeps runtime-specific globals out of files that are not tests.
 * @module
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { z } from "zod";
import { type CheckView, type ConfigIssue, loadConfig, type LoadResult } from "../mod.ts";
import { platform } from "../../runtime/mod.ts";
import { testSchema } from "./schema.ts";

/** Writes `files` (name → text or bytes) into a new temp dir; returns the dir. */
export async function tempFiles(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sextant-config-"));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
  return dir;
}

/** Removes a temp dir made by {@linkcode tempFiles}. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A load result plus its messages with the temp dir stripped. */
export interface Loaded<T> extends LoadResult<T> {
  dir: string;
  messages: string[];
  warningMessages: string[];
}

/**
 * Writes `files`, then loads the ones named in `load` (default: all, in order)
 * with `schema` (default: the DESIGN.md model).
 */
export async function loadFiles<T = z.infer<typeof testSchema>>(
  files: Record<string, string | Uint8Array>,
  opts: {
    load?: string[];
    schema?: z.ZodType<T>;
    check?: (c: T, view: CheckView) => ConfigIssue[];
    /** The environment seen by interpolation (default: none at all). */
    env?: Record<string, string>;
  } = {},
): Promise<Loaded<T>> {
  const dir = await tempFiles(files);
  try {
    const result = await loadConfig<T>({
      files: (opts.load ?? Object.keys(files)).map((f) => `${dir}/${f}`),
      schema: opts.schema ?? (testSchema as unknown as z.ZodType<T>),
      platform: { ...platform, env: (n: string) => opts.env?.[n] },
      check: opts.check,
    });
    const strip = (s: string) => s.replaceAll(`${dir}/`, "");
    return {
      ...result,
      dir,
      messages: result.errors.map((e) => strip(e.message)),
      warningMessages: result.warnings.map((e) => strip(e.message)),
    };
  } finally {
    await removeDir(dir);
  }
}

/** The text of `text` from a 1-based line and column onwards, to the end of that line. */
export function textAt(text: string, pos: { line: number; col: number } | undefined): string {
  if (!pos) return "<none>";
  const line = text.split(/\r?\n/)[pos.line - 1] ?? "";
  return [...line].slice(pos.col - 1).join("");
}

/** The DESIGN.md §3 example. */
export const DESIGN_EXAMPLE = await readFile(
  new URL("./design_example.toml", import.meta.url),
  "utf8",
);
