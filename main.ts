/**
 * Sextant's entry point: `deno run -A main.ts <command>` or `bun main.ts <command>`.
 * @module
 */
import { cliMain } from "./src/cli/mod.ts";

await cliMain();
