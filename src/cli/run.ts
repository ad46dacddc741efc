/**
 * `sextant run`: the collector, until SIGINT or SIGTERM.
 * @module
 */
import { startAdmin } from "../agent/mod.ts";
import { ConnectError, errorMessage, type HttpServer } from "../core/mod.ts";
import { buildLogger, type GlobalFlags, loadOrReport, newAgent } from "./context.ts";
import { type CliIO, EXIT } from "./io.ts";

/** Runs the collector; resolves with the exit code after a graceful shutdown. */
export async function runCommand(flags: GlobalFlags, io: CliIO): Promise<number> {
  const loaded = await loadOrReport(flags, io);
  if (!loaded) return EXIT.FAILURE;
  const { result, files, redactor } = loaded;
  const doc = result.config;
  const cm = doc.custom_metrics;
  const logger = buildLogger(flags, io, doc, redactor);
  const log = logger.child("cli");
  log.info("configuration loaded", {
    files: files.length ? files.join(",") : "<embedded default>",
  });

  for (const dir of cm.plugin_directories) {
    const info = await io.platform.stat(dir).catch((err) => err as Error);
    if (info instanceof Error) {
      log.warn("plugin directory cannot be read", { dir, error: info.message });
    } else if (!info?.isDirectory) log.warn("plugin directory does not exist", { dir });
  }

  const agent = newAgent(loaded, io, logger, { writeConsole: (line) => io.stdout(line) });

  let admin: HttpServer | undefined;
  try {
    await agent.start();
    if (cm.admin.enabled) {
      admin = await startAdmin({
        listen: cm.admin.listen,
        token: cm.admin.token,
        platform: io.platform,
        logger: logger.child("admin"),
        target: agent,
      });
    }
  } catch (err) {
    await agent.stop();
    if (err instanceof ConnectError) {
      io.stderr(`sextant: ${redactor.redact(err.message)}`);
      return EXIT.FAILURE;
    }
    throw err;
  }

  let resolveStop!: (reason: string) => void;
  const stopped = new Promise<string>((resolve) => (resolveStop = resolve));
  const subs = (["SIGINT", "SIGTERM"] as const).map((sig) =>
    io.platform.onSignal(sig, () => resolveStop(sig))
  );
  // Reload arrives with hot reload; until then SIGHUP must not kill the collector (its default action).
  subs.push(
    io.platform.onSignal(
      "SIGHUP",
      () => log.warn("SIGHUP received: configuration reload is not available in this release"),
    ),
  );
  io.stop?.addEventListener("abort", () => resolveStop("stop requested"), { once: true });
  if (io.stop?.aborted) resolveStop("stop requested");
  const reason = await stopped;
  // A second Ctrl-C during shutdown falls through to the runtime's default: exit at once.
  subs.forEach((off) => off());
  log.info("shutting down", { reason });
  // The agent keeps to shutdown_timeout itself; this is only a safety net.
  const deadline = cm.agent.shutdown_timeout + 500;
  let timer: unknown;
  const hard = new Promise<"timeout">((resolve) => {
    timer = io.clock.setTimeout(() => resolve("timeout"), deadline);
  });
  const outcome = await Promise.race([
    Promise.all([admin?.close(), agent.stop()]).then(() => "done" as const),
    hard,
  ]).catch((err) => {
    log.error("shutdown failed", { error: errorMessage(err) });
    return "error" as const;
  });
  io.clock.clearTimeout(timer);
  if (outcome === "timeout") {
    log.error("shutdown did not finish in time; exiting anyway", { ms: deadline });
    return EXIT.FAILURE;
  }
  return outcome === "done" ? EXIT.OK : EXIT.FAILURE;
}
