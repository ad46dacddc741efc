/**
 * The parent side of a `module` plugin's host: a child process (Sextant
 * re-executed with `__sextant-plugin-host`) in which the plugin runs in a
 * Worker restricted to its permissions. The parent kills the host when a
 * collection times out, a heartbeat goes unanswered, or the output breaks
 * the protocol; a hang, a crash or running out of memory costs only the child.
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Clock, Logger, Platform } from "../core/mod.ts";
import type { SelfExec, WorkerPermissions } from "../runtime/mod.ts";
import { type Backend, checkReturnedJson, type CollectOutcome } from "./backend.ts";
import { ChildChannel, describeExit } from "./child_channel.ts";
import { PLUGIN_HOST_ARG } from "./host_main.ts";
import { denoFlags, type Permissions, widen } from "./permissions.ts";

/** Options of {@linkcode ModuleBackend}. */
export interface ModuleBackendOptions {
  name: string;
  entryPath: string;
  pluginDir: string;
  /** The effective permissions (manifest ∩ operator), paths absolute. */
  permissions: Permissions;
  options: Record<string, unknown>;
  /** Megabytes of V8 heap for the host (Deno). */
  memoryMb: number;
  killGrace: number;
  /** Milliseconds between heartbeats; a missed one kills the host. 0 disables them. */
  heartbeat: number;
  /** Longest protocol line, in bytes. */
  maxLine: number;
  /** How this program re-executes itself. */
  self: SelfExec;
  /** The host's environment (already scrubbed). */
  env: Record<string, string>;
  platform: Platform;
  clock: Clock;
  logger: Logger;
  onExit?(why: string): void;
  /** Start only to import the entry and check its default export; `init()` is not called. */
  checkOnly?: boolean;
}

type Reply = {
  op: string;
  id?: number;
  /** The JSON text of the samples of a `result`. */
  json?: string;
  error?: string;
  message?: string;
  level?: string;
  text?: string;
};

/** The argv that starts a host with these permissions. */
export function hostArgv(
  self: SelfExec,
  p: Permissions,
  memoryMb: number,
  pluginDir: string,
): string[] {
  if (self.compiled || !self.mainModule) return [self.execPath, PLUGIN_HOST_ARG];
  if (self.runtime === "bun") return [self.execPath, self.mainModule, PLUGIN_HOST_ARG];
  // The host reads Sextant's own code; the Worker inside it never gets more than `p`.
  const own = self.mainModule.startsWith("file:") ? [dirname(fileURLToPath(self.mainModule))] : [];
  own.push(pluginDir);
  return [
    self.execPath,
    "run",
    "--cached-only",
    "--no-prompt",
    "--unstable-worker-options",
    ...denoFlags({ ...p, read: widen(p.read, own) }),
    // memory_limit = 0: no heap limit beyond V8's own default.
    ...(memoryMb > 0 ? [`--v8-flags=--max-old-space-size=${memoryMb}`] : []),
    self.mainModule,
    PLUGIN_HOST_ARG,
  ];
}

/** Runs one module plugin in a supervised host process. */
export class ModuleBackend implements Backend {
  #o: ModuleBackendOptions;
  #ch?: ChildChannel;
  #nonce = crypto.randomUUID();
  /** What every protocol line from the host starts with. */
  #prefix = `${this.#nonce} `;
  #next = 1;
  #pending = new Map<number, (r: Reply) => void>();
  #ready?: (r: Reply) => void;
  #heartbeat: unknown;
  #pingOpen = false;
  #stopping = false;
  #lastCrash?: string;
  #noise = 0;

  constructor(o: ModuleBackendOptions) {
    this.#o = o;
  }

  get pid(): number | undefined {
    return this.#ch?.pid;
  }
  get alive(): boolean {
    return this.#ch?.alive ?? false;
  }

  async start(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const p = o.permissions;
    const ch = this.#ch = new ChildChannel({
      argv: hostArgv(o.self, p, o.memoryMb, o.pluginDir),
      env: o.env,
      cwd: o.platform.cwd(),
      platform: o.platform,
      clock: o.clock,
      maxLine: o.maxLine,
      // The samples of one collect() are one protocol line: say so, not "printed a line".
      overflowMessage:
        `sent more than ${o.maxLine} bytes in one message (the samples of one collect(), or a line the plugin printed); raise max_output or return fewer samples`,
      killGrace: o.killGrace,
      onLine: (line) => this.#onLine(line),
      onExit: (status, why) => {
        this.#o.clock.clearTimeout(this.#heartbeat);
        const tail = ch.stderrTail().filter((l) => !/^\s*at /.test(l));
        const reason = why ??
          `the plugin host ${describeExit(status)}${
            this.#lastCrash
              ? `: ${this.#lastCrash}`
              : tail.length
              ? `: ${JSON.stringify(tail.at(-1))}`
              : ""
          }`;
        const gone: Reply = { op: "gone", message: reason };
        this.#ready?.(gone);
        for (const r of this.#pending.values()) r(gone);
        this.#pending.clear();
        if (!this.#stopping) o.onExit?.(reason);
      },
    });
    const worker: WorkerPermissions = {
      ...p,
      // The Worker may read its own directory (to import its entry and its files).
      read: widen(p.read, [o.pluginDir]),
    };
    const ready = new Promise<Reply>((resolve) => (this.#ready = resolve));
    // While starting, a failure is the caller's to report (it gets the rejection), not onExit's.
    this.#stopping = true;
    const onAbort = () => void ch.kill("did not start within the start timeout");
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await ch.write(
        JSON.stringify({
          op: "init",
          nonce: this.#nonce,
          name: o.name,
          entry: pathToFileURL(o.entryPath).href,
          options: o.options,
          permissions: worker,
          ...(o.checkOnly ? { check: true } : {}),
        }) + "\n",
      );
      const r = await ready;
      if (r.op !== "ready") {
        await ch.kill("failed to start");
        throw new Error(loadError(r.message ?? "the plugin failed to start"));
      }
    } finally {
      this.#ready = undefined;
      signal.removeEventListener("abort", onAbort);
    }
    this.#stopping = false;
    this.#beat();
  }

  #beat(): void {
    if (!this.#o.heartbeat) return;
    this.#heartbeat = this.#o.clock.setTimeout(() => {
      if (!this.#ch?.alive) return;
      if (this.#pingOpen) {
        void this.#ch.kill(`missed a heartbeat (${this.#o.heartbeat} ms)`);
        return;
      }
      this.#pingOpen = true;
      void this.#ch.write(JSON.stringify({ op: "ping", id: 0 }) + "\n");
      this.#beat();
    }, this.#o.heartbeat);
  }

  #onLine(line: string): void {
    if (!line.startsWith(this.#prefix)) {
      // Whatever the plugin wrote to stdout itself: not protocol, and never trusted.
      if (this.#noise++ < 5) {
        this.#o.logger.debug("plugin wrote to stdout outside the protocol; ignored", {
          text: line.slice(0, 200),
        });
      }
      return;
    }
    const at = this.#prefix.length;
    if (line.startsWith("result ", at)) {
      // `result <id> <JSON>`: the JSON goes to the sample parser untouched, parsed once there.
      const sp = line.indexOf(" ", at + 7);
      const id = sp === -1 ? NaN : Number(line.slice(at + 7, sp));
      const done = this.#pending.get(id);
      this.#pending.delete(id);
      return done?.({ op: "result", id, json: line.slice(sp + 1) });
    }
    let r: Reply;
    try {
      r = JSON.parse(line.slice(at));
    } catch {
      return void this.#ch?.kill("sent a protocol line that is not JSON");
    }
    switch (r.op) {
      case "result": {
        const done = this.#pending.get(r.id ?? -1);
        this.#pending.delete(r.id ?? -1);
        return done?.(r);
      }
      case "ready":
      case "failed":
        return this.#ready?.(r);
      case "pong":
        this.#pingOpen = false;
        return;
      case "crashed":
        this.#lastCrash = `uncaught error: ${r.message}`;
        return;
      case "log": {
        const text = String(r.text ?? "").slice(0, 2000);
        if (r.level === "error" || r.level === "warn") this.#o.logger.warn("plugin says", { text });
        else this.#o.logger.debug("plugin says", { text });
        return;
      }
    }
  }

  async collect(signal: AbortSignal): Promise<CollectOutcome> {
    const ch = this.#ch;
    if (!ch?.alive) return { samples: [], errors: [], fatal: "the plugin host is not running" };
    const id = this.#next++;
    const reply = new Promise<Reply>((resolve) => this.#pending.set(id, resolve));
    const onAbort = () => void ch.kill("collect() did not finish within the timeout; host killed");
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      // Not awaited: the reply is what counts, and a failed write means the host is gone,
      // which resolves `reply` through onExit.
      void ch.write(`{"op":"collect","id":${id}}\n`);
      const r = await reply;
      if (r.op === "gone") return { samples: [], errors: [], fatal: r.message };
      if (r.error !== undefined) {
        return { samples: [], errors: [`collect() failed: ${withoutStack(r.error)}`] };
      }
      return checkReturnedJson(r.json ?? "null");
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#o.clock.clearTimeout(this.#heartbeat);
    const ch = this.#ch;
    if (!ch?.alive) return;
    // A polite close() first; the grace bounds it, then SIGTERM/SIGKILL.
    await ch.write(JSON.stringify({ op: "close" }) + "\n");
    let timer: unknown;
    const late = new Promise<void>((r) => (timer = this.#o.clock.setTimeout(r, this.#o.killGrace)));
    await Promise.race([ch.exited, late]);
    this.#o.clock.clearTimeout(timer);
    await ch.kill("stopped");
  }
}

/** A message without the stack lines Deno appends to module errors. */
/**
 * A failure to load the entry on one line. A syntax error is put as
 * `<path>:<line>:<col>: SyntaxError: ...` (Deno gives its place as a
 * stack line after a code frame); anything else loses its stack.
 */
export function loadError(message: string): string {
  const lines = message.split("\n");
  const at = lines.map((l) => /^\s+at (file:\/\/\S+?):(\d+):(\d+)$/.exec(l)).find((m) => m);
  if (/SyntaxError/.test(lines[0]) && at) {
    let path = at[1];
    try {
      path = fileURLToPath(at[1]);
    } catch { /* keep the URL */ }
    return `${path}:${at[2]}:${at[3]}: ${lines[0].trim()}`;
  }
  return withoutStack(message);
}

function withoutStack(message: string): string {
  return message.split("\n").filter((l) => !/^\s+at /.test(l)).join(" ").trim();
}
