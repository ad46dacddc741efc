/**
 * Which config files a command uses: `-c` flags, else `SEXTANT_CONFIG`,
 * else `config/sextant.toml` when it exists, else the embedded default.
 * @module
 */
import type { Platform } from "../core/mod.ts";

/** The default config path, relative to the working directory. */
export const DEFAULT_CONFIG_PATH = "config/sextant.toml";

/** Resolves the config files; an empty list means the embedded default. */
export async function resolveConfigFiles(flags: string[], platform: Platform): Promise<string[]> {
  if (flags.length > 0) return flags;
  const env = platform.env("SEXTANT_CONFIG")?.trim();
  if (env) return env.split(",").map((s) => s.trim()).filter(Boolean);
  const info = await platform.stat(DEFAULT_CONFIG_PATH);
  return info?.isFile ? [DEFAULT_CONFIG_PATH] : [];
}
