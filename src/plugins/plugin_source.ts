/**
 * A `type = "plugin"` source: finds its plugin, runs it through the backend
 * for its kind, and supervises it. A dead backend (crash, timeout, flood)
 * is restarted with exponential backoff and, after `max_restarts` failures
 * in a row, quarantined until its files change or it is reloaded. The
 * plugin's directory is watched; a change reloads it by recreating the
 * worker or process. It presents the same `Source` as a built-in.
 * @module
 */
import {
  type Accumulator,
  type Clock,
  CollectError,
  type CommonSourceConfig,
  errorMessage,
  type ExitStatus,
  type Logger,
  type Platform,
  type Redactor,
  type Source,
  type SourceDeps,
} from "../core/mod.ts";
import type { SelfExec } from "../runtime/mod.ts";
import type { Backend } from "./backend.ts";
import { findPlugin } from "./discovery.ts";
import { DaemonBackend, type ExecOptions, OnceBackend } from "./exec_backend.ts";
import { checkOptions, type PluginInfo, secretOptions } from "./manifest.ts";
import { ModuleBackend } from "./module_host.ts";
import { absolutePaths, describePermissions, intersect, type Permissions } from "./permissions.ts";
import type { PluginFields } from "./plugin_kind.ts";
import { PYTHON_HOST } from "./python_host.ts";
import { WorkerBackend } from "./worker_backend.ts";

/** Where plugins are found and how hosts are started; shared by every plugin source. */
export interface PluginEnvironment {
  /** Plugin directories (relative ones resolve against `baseDir`). */
  directories: readonly string[];
  baseDir: string;
  self: SelfExec;
  registry?: { add(s: PluginSource): void; remove(s: PluginSource): void };
}

/** A plugin's state in `/status`. */
export type PluginState =
  | "idle"
  | "starting"
  | "running"
  | "backoff"
  | "refused"
  | "quarantined"
  | "unloaded"
  | "stopped";

/** One plugin source as `/status` shows it. */
export interface PluginStatus {
  source: string;
  plugin: string;
  kind?: string;
  version?: string;
  dir?: string;
  state: PluginState;
  pid?: number;
  restarts: number;
  consecutive_failures: number;
  last_error?: string;
  last_restart_reason?: string;
  next_start_in_ms?: number;
  permissions?: string;
  trusted: boolean;
}

const ENV_ALWAYS = ["PATH", "LANG", "TZ"];
const HOST_ENV = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "LANG", "TZ"];

/** The environment of a module plugin's host process (before the plugin's own grants). */
export function hostEnv(platform: Pick<Platform, "env">): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  for (const k of HOST_ENV) {
    const v = platform.env(k);
    if (v !== undefined) env[k] = v;
  }
  return env;
}
const WATCH_DEBOUNCE_MS = 150;
/** Changes that never reload a plugin: Python's bytecode caches, editors' swap files. */
const IGNORED_CHANGE = /(^|\/)(__pycache__(\/|$)|[^/]*\.py[co]$|\.[^/]*\.swp$|[^/]*~$)/;
/** Default `memory_limit` of a module plugin's host (V8 heap), MiB. */
const MODULE_MEMORY_MB = 256;
/** Default `memory_limit` of an exec or python plugin (RLIMIT_DATA), MiB. */
const EXEC_MEMORY_MB = 1024;
/** Signals a runtime dies with when it cannot reserve or allocate memory. */
const CRASH_SIGNALS = new Set(["SIGTRAP", "SIGABRT", "SIGSEGV", "SIGBUS"]);
/** What runtimes print when an allocation or reservation fails. */
const OUT_OF_MEMORY = /out of memory|could not reserve|cannot allocate memory|MemoryError/i;

/** A running plugin source. */
export class PluginSource implements Source {
  readonly type = "plugin";
  readonly name: string;
  #c: PluginFields & CommonSourceConfig;
  #ctx: PluginEnvironment;
  #platform: Platform;
  #clock: Clock;
  #log: Logger;
  #redactor: Redactor;
  #baseDir: string;
  #info?: PluginInfo;
  #perms?: Permissions;
  #options: Record<string, unknown> = {};
  #backend?: Backend;
  #starting?: Promise<void>;
  #state: PluginState = "idle";
  #restarts = 0;
  #failures = 0;
  #lastError?: string;
  #lastReason?: string;
  #nextStart = 0;
  #restartTimer: unknown;
  #unwatch?: () => void;
  #watchTimer: unknown;
  #reloading?: Promise<void>;

  constructor(config: PluginFields & CommonSourceConfig, deps: SourceDeps, ctx: PluginEnvironment) {
    this.name = config.name;
    this.#c = config;
    this.#ctx = ctx;
    this.#platform = deps.platform;
    this.#clock = deps.clock;
    this.#log = deps.logger;
    this.#redactor = deps.redactor;
    this.#baseDir = deps.baseDir;
    ctx.registry?.add(this);
  }

  /** Finds and checks the plugin; rejects with every problem when it is refused. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#state === "unloaded" || this.#state === "quarantined") return;
    await this.#resolve();
    this.#watch();
    // A failed start is recorded and retried with backoff by the supervisor, not by the runner
    // (which calls start again when one overran its run).
    if (this.#state !== "idle" && this.#state !== "starting") return;
    await this.#startBackend(signal).catch(() => {});
  }

  async #resolve(): Promise<void> {
    const c = this.#c;
    const info = await findPlugin(
      c.plugin,
      this.#ctx.directories,
      this.#platform,
      this.#ctx.baseDir,
    );
    const refuse = (problems: string[]) => {
      this.#state = "refused";
      this.#lastError = problems.join("; ");
      throw new CollectError(
        this.name,
        `plugin ${JSON.stringify(c.plugin)} refused: ${problems.join("; ")}`,
      );
    };
    if (!info) {
      const where = this.#ctx.directories.length
        ? this.#ctx.directories.join(", ")
        : "no plugin_directories are configured";
      return refuse([`not found in ${where}`]);
    }
    this.#info = info;
    if (info.problems.length || !info.manifest) return refuse(info.problems);
    const m = info.manifest;
    const problems: string[] = [];
    const opts = checkOptions(m, c.options);
    problems.push(...opts.problems);
    if (m.kind === "module" && !this.#ctx.self.enforcesPermissions && !c.trusted) {
      problems.push(
        `${this.#ctx.self.runtime} cannot enforce a module plugin's permissions; run Sextant on Deno, or set trusted = true in source ${
          JSON.stringify(this.name)
        } to run it without a sandbox`,
      );
    }
    if (m.kind === "module" && c.isolation === "worker" && this.#ctx.self.mayDownload) {
      problems.push(
        `isolation = "worker" runs the plugin inside the collector, which could then download code (npm: or remote imports); start Sextant with --cached-only (deno run --cached-only ...) or use the compiled binary, or use isolation = "process"`,
      );
    }
    if (problems.length) return refuse(problems);
    for (const s of secretOptions(m, opts.options)) this.#redactor.add(s);
    this.#options = opts.options;
    const operator = c.permissions
      ? absolutePaths(c.permissions as Partial<Permissions>, this.#baseDir)
      : {};
    this.#perms = intersect(info.permissions!, operator);
    if (this.#state === "refused") this.#state = "idle";
  }

  #backendFor(info: PluginInfo): Backend {
    const c = this.#c;
    const m = info.manifest!;
    const perms = this.#perms!;
    const onExit = (why: string) => this.#died(why);
    const granted = this.#grantedEnv(perms);
    if (m.kind === "module" && c.isolation === "worker") {
      return new WorkerBackend({
        name: m.name,
        entryPath: info.entryPath!,
        pluginDir: info.dir,
        permissions: perms,
        options: this.#options,
        killGrace: c.kill_grace,
        clock: this.#clock,
        logger: this.#log,
        onExit,
      });
    }
    if (m.kind === "module") {
      const env = hostEnv(this.#platform);
      return new ModuleBackend({
        name: m.name,
        entryPath: info.entryPath!,
        pluginDir: info.dir,
        permissions: perms,
        options: this.#options,
        memoryMb: c.memory_limit ?? MODULE_MEMORY_MB,
        killGrace: c.kill_grace,
        heartbeat: c.heartbeat,
        maxLine: c.max_output,
        self: this.#ctx.self,
        env: { ...env, ...granted },
        platform: this.#platform,
        clock: this.#clock,
        logger: this.#log,
        onExit,
      });
    }
    const argv = m.kind === "python"
      ? [m.interpreter, "-I", "-B", "-u", "-c", PYTHON_HOST, info.entryPath!]
      : [info.entryPath!];
    const o: ExecOptions = {
      argv: this.#limited(argv),
      env: {
        ...granted,
        ...c.env,
        SEXTANT_PLUGIN_NAME: m.name,
        SEXTANT_PLUGIN_OPTIONS: JSON.stringify(this.#options),
      },
      cwd: info.dir,
      format: m.kind === "python" ? "json" : m.format,
      maxOutput: c.max_output,
      killGrace: c.kill_grace,
      platform: this.#platform,
      clock: this.#clock,
      onExit,
      memoryHint: this.#memoryHint,
      onStderr: (lines) => this.#log.debug("plugin stderr", { text: lines.slice(-3).join(" | ") }),
    };
    return m.kind === "exec" && m.mode === "once" ? new OnceBackend(o) : new DaemonBackend(o);
  }

  /** Resource limits through prlimit, when it is installed and limits are on. */
  #limited(argv: string[]): string[] {
    const mb = this.#execMemoryMb();
    if (!this.#prlimit || mb === 0) return argv;
    return [
      this.#prlimit,
      `--data=${mb * 1024 * 1024}`,
      "--core=0",
      `--fsize=${64 * 1024 * 1024}`,
      "--",
      ...argv,
    ];
  }

  /** The data-segment limit of an exec or python plugin, in MiB; 0 is none. */
  #execMemoryMb(): number {
    return this.#c.memory_limit ?? EXEC_MEMORY_MB;
  }

  /** An exit that looks like a runtime failing under the memory limit, explained. */
  #memoryHint = (status: ExitStatus, stderr: string): string => {
    const mb = this.#execMemoryMb();
    if (!this.#prlimit || mb === 0) return "";
    const crashed = status.signal !== null && CRASH_SIGNALS.has(status.signal);
    if (!crashed && !OUT_OF_MEMORY.test(stderr)) return "";
    return ` (it may have hit memory_limit = ${mb} MiB: raise memory_limit, or set it to 0 for no limit)`;
  };
  #prlimit?: string;

  /** The environment a plugin may see: a few harmless variables and what it was granted. */
  #grantedEnv(p: Permissions): Record<string, string> {
    const env: Record<string, string> = {};
    const names = p.env === true
      ? Object.keys(this.#platform.envAll())
      : [...ENV_ALWAYS, ...(p.env || [])];
    for (const k of names) {
      const v = this.#platform.env(k);
      if (v !== undefined) env[k] = v;
    }
    return env;
  }

  #startBackend(signal: AbortSignal): Promise<void> {
    return this.#starting ??= (async () => {
      const info = this.#info!;
      this.#state = "starting";
      this.#prlimit ??= (await this.#platform.stat("/usr/bin/prlimit").catch(() => null))?.isFile
        ? "/usr/bin/prlimit"
        : "";
      const backend = this.#backendFor(info);
      this.#backend = backend;
      try {
        await backend.start(signal);
        this.#state = "running";
        this.#log.info("plugin started", {
          plugin: info.name,
          kind: info.manifest!.kind,
          pid: backend.pid,
          permissions: describePermissions(this.#perms!),
        });
      } catch (err) {
        const why = `failed to start: ${this.#redactor.redact(errorMessage(err))}`;
        await backend.stop();
        this.#died(why);
        throw new CollectError(this.name, `plugin ${JSON.stringify(info.name)} ${why}`);
      } finally {
        this.#starting = undefined;
      }
    })();
  }

  /** A backend ended on its own or was killed: back off, then restart (or quarantine). */
  #died(why: string): void {
    if (this.#state === "stopped" || this.#state === "unloaded") return;
    const reason = this.#redactor.redact(why);
    this.#lastError = reason;
    this.#lastReason = reason;
    this.#failures++;
    this.#backend = undefined;
    const c = this.#c;
    if (c.max_restarts > 0 && this.#failures > c.max_restarts) {
      this.#state = "quarantined";
      this.#log.error("plugin quarantined: too many failures in a row", {
        plugin: c.plugin,
        failures: this.#failures,
        reason,
      });
      return;
    }
    const delay = Math.min(c.restart_backoff_max, c.restart_backoff * 2 ** (this.#failures - 1));
    this.#state = "backoff";
    this.#nextStart = this.#clock.monotonic() + delay;
    this.#log.warn("plugin stopped; restarting after backoff", {
      plugin: c.plugin,
      reason,
      delay_ms: delay,
    });
    this.#clock.clearTimeout(this.#restartTimer);
    this.#restartTimer = this.#clock.setTimeout(() => {
      if (this.#state !== "backoff") return;
      this.#restarts++;
      this.#startBackend(AbortSignal.timeout(Math.max(c.timeout, 10_000))).catch(() => {});
    }, delay);
  }

  async collect(acc: Accumulator, signal: AbortSignal): Promise<void> {
    const error = (message: string) =>
      new CollectError(this.name, `plugin ${JSON.stringify(this.#c.plugin)}: ${message}`);
    /** One item (an output line, an exception in collect) failed. */
    const itemError = (message: string) => acc.addError(error(message));
    /**
     * The plugin's backend failed as a whole (refused, quarantined, restarting, died, killed on
     * timeout): the breaker, on_failure and fallback engage.
     */
    const fail = (message: string) => acc.fail(error(message));
    switch (this.#state) {
      case "unloaded":
      case "stopped":
        return;
      case "quarantined":
        return fail(
          `quarantined after ${this.#failures} failures in a row (last: ${this.#lastError}); fix it and reload`,
        );
      case "refused":
        return fail(`refused: ${this.#lastError}`);
      case "backoff": {
        const left = Math.max(0, Math.round(this.#nextStart - this.#clock.monotonic()));
        return fail(`not running (restarting in ${left} ms after: ${this.#lastError})`);
      }
    }
    if (this.#starting) {
      await this.#starting.catch(() => {});
      // A slow start used up this run: collecting now would only get the new backend killed.
      if (signal.aborted) return fail("still starting when the collection timed out");
    }
    const backend = this.#backend;
    if (!backend || this.#state !== "running") {
      return fail(`not running: ${this.#lastError ?? "starting"}`);
    }
    const out = await backend.collect(signal);
    for (const s of out.samples) acc.add(s);
    for (const e of out.errors) itemError(this.#redactor.redact(e));
    if (out.failed) return fail(this.#redactor.redact(out.failed));
    if (out.fatal) {
      fail(this.#redactor.redact(out.fatal));
      if (this.#backend === backend) {
        await backend.stop();
        this.#died(out.fatal);
      }
      return;
    }
    if (out.errors.length === 0) this.#failures = 0;
  }

  #watch(): void {
    if (this.#unwatch || !this.#info || !this.#c.watch) return;
    this.#unwatch = this.#platform.watch([this.#info.dir], (path) => {
      if (IGNORED_CHANGE.test(path)) return;
      this.#clock.clearTimeout(this.#watchTimer);
      this.#watchTimer = this.#clock.setTimeout(() => {
        this.#log.info("plugin files changed; reloading", { plugin: this.#c.plugin });
        this.reload().catch(() => {});
      }, WATCH_DEBOUNCE_MS);
    }, { recursive: true });
  }

  /** Recreates the plugin's worker or process from its current files. */
  reload(): Promise<void> {
    return this.#reloading ??= (async () => {
      try {
        await this.#stopBackend();
        this.#state = "idle";
        this.#failures = 0;
        await this.#resolve();
        this.#unwatch?.();
        this.#unwatch = undefined;
        this.#watch();
        await this.#startBackend(AbortSignal.timeout(Math.max(this.#c.timeout, 10_000)));
      } catch (err) {
        this.#lastError = this.#redactor.redact(errorMessage(err));
        throw err;
      } finally {
        this.#reloading = undefined;
      }
    })();
  }

  /** Stops the plugin; it reports nothing until `load`. */
  async unload(): Promise<void> {
    await this.#stopBackend();
    this.#state = "unloaded";
    this.#log.info("plugin unloaded", { plugin: this.#c.plugin });
  }

  /** Starts an unloaded (or quarantined) plugin again. */
  async load(): Promise<void> {
    this.#state = "idle";
    await this.reload();
  }

  async #stopBackend(): Promise<void> {
    this.#clock.clearTimeout(this.#restartTimer);
    await this.#starting?.catch(() => {});
    const b = this.#backend;
    this.#backend = undefined;
    const prev = this.#state;
    this.#state = "stopped"; // so that the exit of this backend is not taken for a crash
    await b?.stop();
    this.#state = prev;
  }

  details(): Record<string, unknown> {
    return { ...this.status() };
  }

  /** The plugin's state for `/status` and the self-metrics. */
  status(): PluginStatus {
    const m = this.#info?.manifest;
    return {
      source: this.name,
      plugin: this.#c.plugin,
      ...(m && { kind: m.kind, version: m.version }),
      ...(this.#info && { dir: this.#info.dir }),
      state: this.#state,
      ...(this.#backend?.pid !== undefined && { pid: this.#backend.pid }),
      restarts: this.#restarts,
      consecutive_failures: this.#failures,
      ...(this.#lastError && { last_error: this.#lastError }),
      ...(this.#lastReason && { last_restart_reason: this.#lastReason }),
      ...(this.#state === "backoff" && {
        next_start_in_ms: Math.max(0, Math.round(this.#nextStart - this.#clock.monotonic())),
      }),
      ...(this.#perms && { permissions: describePermissions(this.#perms) }),
      trusted: this.#c.trusted,
    };
  }

  /** Stops the backend, the watcher and the restart timer. Safe to call twice. */
  async stop(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#clock.clearTimeout(this.#watchTimer);
    await this.#stopBackend();
    this.#state = "stopped";
    this.#ctx.registry?.remove(this);
  }
}
