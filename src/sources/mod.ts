/**
 * The built-in source kinds. Plugins present the same `Source` interface.
 * @module
 */
import type { SourceKind } from "../core/mod.ts";
import { commandKind } from "./command/mod.ts";
import { databaseKind } from "./database/mod.ts";
import { fileKind } from "./file/mod.ts";
import { httpKind } from "./http/mod.ts";
import { processKind } from "./process/mod.ts";
import { systemKind } from "./system/mod.ts";

/** Every built-in kind, in the order `sextant help` lists them. */
export const builtinSourceKinds: readonly SourceKind[] = [
  httpKind,
  commandKind,
  fileKind,
  systemKind,
  processKind,
  databaseKind,
] as unknown as SourceKind[];
