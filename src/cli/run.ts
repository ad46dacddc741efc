/**
 * `sextant run`: the collector, until SIGINT or SIGTERM.
 * @module
 */
import {
  type AdminTarget,
  type Document,
  loadDocument,
  Reloader,
  startAdmin,
} from "../agent/mod.ts";
import { type ConfigWatch, watchConfig } from "../config/mod.ts";
import { ConnectError, errorMessage, type HttpServer, type Logger } from "../core/mod.ts";
import { PluginRegistry } from "../plugins/mod.ts";
import {
  agentKinds,
  buildLogger,
  type GlobalFlags,
  loadOrReport,
  newAgent,
  sourceKinds,
} from "./context.ts";
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

  const plugins = new PluginRegistry();
  const agent = newAgent(
    loaded,
    io,
    logger,
    { writeConsole: (line) => io.stdout(line) },
    plugins,
  );
  let watch: ConfigWatch | undefined;
  let adminSwap = Promise.resolve();
  const reloader = new Reloader({
    agent,
    initial: doc,
    load: () => loadDocument(files, sourceKinds, io.platform),
    kinds: (next) => agentKinds(next, plugins),
    logger: logger.child("reload"),
    clock: io.clock,
    redactor,
    onApplied: (next, previous) => {
      watch?.update(next.watch);
      // Not awaited: a reload asked for over HTTP must be answered before its server closes.
      adminSwap = adminSwap.then(async () => {
        admin = await restartAdmin(admin, previous, next.config, target, io, logger);
      }).catch((err) => log.error("admin API restart failed", { error: errorMessage(err) }));
    },
  });
  const target: AdminTarget = {
    status: () => agent.status(),
    get ready() {
      return agent.ready;
    },
    reload: () => reloader.reload("http"),
    pluginAction: (source, action) => agent.pluginAction(source, action),
  };

  let admin: HttpServer | undefined;
  try {
    await agent.start();
    if (cm.admin.enabled) admin = await openAdmin(cm.admin, target, io, logger);
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
  subs.push(io.platform.onSignal("SIGHUP", () => void reloader.reload("signal")));
  // The embedded default has no file to watch.
  if (files.length > 0) {
    watch = watchConfig({
      platform: io.platform,
      clock: io.clock,
      paths: result.watch,
      onChange: () => void reloader.reload("file"),
    });
    log.info("watching configuration files", {
      files: result.watch.files.length,
      dirs: result.watch.dirs.length,
    });
  }
  io.stop?.addEventListener("abort", () => resolveStop("stop requested"), { once: true });
  if (io.stop?.aborted) resolveStop("stop requested");
  const reason = await stopped;
  // A second Ctrl-C during shutdown falls through to the runtime's default: exit at once.
  subs.forEach((off) => off());
  watch?.close();
  log.info("shutting down", { reason });
  // The agent keeps to shutdown_timeout itself; this is only a safety net.
  const deadline = cm.agent.shutdown_timeout + 500;
  let timer: unknown;
  const hard = new Promise<"timeout">((resolve) => {
    timer = io.clock.setTimeout(() => resolve("timeout"), deadline);
  });
  const outcome = await Promise.race([
    Promise.all([adminSwap.then(() => admin?.close()), agent.stop()]).then(() => "done" as const),
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

function openAdmin(
  settings: Document["custom_metrics"]["admin"],
  target: AdminTarget,
  io: CliIO,
  logger: Logger,
): Promise<HttpServer> {
  return startAdmin({
    listen: settings.listen,
    token: settings.token,
    platform: io.platform,
    logger: logger.child("admin"),
    target,
  });
}

/** Restarts the admin API when a reload changed its settings; the old one comes back if the new cannot bind. */
async function restartAdmin(
  current: HttpServer | undefined,
  before: Document,
  after: Document,
  target: AdminTarget,
  io: CliIO,
  logger: Logger,
): Promise<HttpServer | undefined> {
  const a = before.custom_metrics.admin;
  const b = after.custom_metrics.admin;
  if (JSON.stringify(a) === JSON.stringify(b)) return current;
  await current?.close();
  if (!b.enabled) return undefined;
  try {
    return await openAdmin(b, target, io, logger);
  } catch (err) {
    const back = a.enabled
      ? await openAdmin(a, target, io, logger).catch(() => undefined)
      : undefined;
    throw new Error(
      `admin API kept at its previous settings: ${errorMessage(err)}${
        back ? "" : " (and could not be restored)"
      }`,
    );
  }
}
