/**
 * Sextant's entry point: `deno run -A main.ts <command>` or `bun main.ts <command>`.
 * With the hidden first argument `__sextant-plugin-host` it is a plugin host
 * instead (Sextant re-executes itself; see src/plugins/README.md). The
 * commands load lazily, so that a host never loads the npm packages.
 * @module
 */
import { platform } from "./src/runtime/mod.ts";

if (platform.args()[0] === "__sextant-plugin-host") {
  const { hostMain } = await import("./src/plugins/host_main.ts");
  platform.exit(await hostMain());
} else {
  const { cliMain } = await import("./src/cli/mod.ts");
  await cliMain();
}
