/**
 * The opt-in in-process mode for trusted module plugins
 * (`isolation = "worker"`): the plugin runs in a permission-restricted
 * Worker of the collector itself. It is the fastest path, but on Deno a
 * plugin that spins cannot be stopped (`terminate()` does not end a busy
 * worker, deno#35657) and one that runs out of memory takes the collector
 * down. The default, `isolation = "process"`, has neither problem.
 * @module
 */
import { pathToFileURL } from "node:url";
import type { Clock, Logger } from "../core/mod.ts";
import { createWorker, type WorkerPermissions } from "../runtime/mod.ts";
import { type Backend, checkReturnedJson, type CollectOutcome } from "./backend.ts";
import { type Permissions, widen } from "./permissions.ts";
import { type FromWorker, WORKER_SOURCE } from "./worker_source.ts";

/** Options of {@linkcode WorkerBackend}. */
export interface WorkerBackendOptions {
  name: string;
  entryPath: string;
  pluginDir: string;
  permissions: Permissions;
  options: Record<string, unknown>;
  killGrace: number;
  clock: Clock;
  logger: Logger;
  onExit?(why: string): void;
}

/** Runs one module plugin in a Worker of this process. */
export class WorkerBackend implements Backend {
  #o: WorkerBackendOptions;
  #worker?: Worker;
  #next = 1;
  #waiters = new Map<
    number | "init" | "close",
    (m: FromWorker | { type: "gone"; why: string }) => void
  >();
  #dead = true;

  constructor(o: WorkerBackendOptions) {
    this.#o = o;
  }
  get pid(): undefined {
    return undefined;
  }
  get alive(): boolean {
    return !this.#dead;
  }

  #end(why: string, report: boolean): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#worker?.terminate();
    for (const w of this.#waiters.values()) w({ type: "gone", why });
    this.#waiters.clear();
    if (report) this.#o.onExit?.(why);
  }

  async start(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
    const perms: WorkerPermissions = {
      ...o.permissions,
      read: widen(o.permissions.read, [o.pluginDir]),
    };
    // `new Worker()` blocks this event loop until the runtime has built the Worker's isolate (Deno
    // waits for the new thread's handle): about 20 ms on an idle machine, more under load. It is the
    // one cost an in-process plugin's (re)start puts on the other sources; logged to be seen.
    const t0 = o.clock.monotonic();
    const worker = this.#worker = createWorker(url, `plugin:${o.name}`, perms);
    o.logger.debug("plugin worker created", { blocked_ms: Math.round(o.clock.monotonic() - t0) });
    this.#dead = false;
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === "log") {
        if (m.level === "error" || m.level === "warn") {
          o.logger.warn("plugin says", { text: m.text });
        } else o.logger.debug("plugin says", { text: m.text });
        return;
      }
      const key = m.type === "ready" || (m.type === "error" && m.phase === "init")
        ? "init"
        : m.type === "closed"
        ? "close"
        : (m as { id?: number }).id ?? -1;
      const w = this.#waiters.get(key);
      this.#waiters.delete(key);
      w?.(m);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault(); // otherwise an uncaught error in the worker ends the collector
      this.#end(`uncaught error: ${String(e.message).slice(0, 500)}`, true);
    };
    const ready = new Promise<FromWorker | { type: "gone"; why: string }>((r) =>
      this.#waiters.set("init", r)
    );
    const onAbort = () => this.#end("did not start within the start timeout", false);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      worker.postMessage({
        type: "init",
        entry: pathToFileURL(o.entryPath).href,
        name: o.name,
        options: o.options,
      });
      const m = await ready;
      if (m.type === "gone") throw new Error(m.why);
      if (m.type === "error") {
        this.#end("failed to start", false);
        throw new Error(m.message.split("\n").filter((l) => !/^\s+at /.test(l)).join(" "));
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async collect(signal: AbortSignal): Promise<CollectOutcome> {
    if (this.#dead || !this.#worker) {
      return { samples: [], errors: [], fatal: "the worker is not running" };
    }
    const id = this.#next++;
    const reply = new Promise<FromWorker | { type: "gone"; why: string }>((r) =>
      this.#waiters.set(id, r)
    );
    const onAbort = () =>
      this.#end("collect() did not finish within the timeout; worker terminated", true);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      this.#worker.postMessage({ type: "collect", id });
      const m = await reply;
      if (m.type === "gone") return { samples: [], errors: [], fatal: m.why };
      if (m.type === "error") {
        return { samples: [], errors: [`collect() failed: ${m.message.split("\n")[0]}`] };
      }
      const json = (m as { json?: unknown }).json;
      return checkReturnedJson(typeof json === "string" ? json : "null");
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async stop(): Promise<void> {
    if (this.#dead || !this.#worker) return;
    const closed = new Promise<unknown>((r) => this.#waiters.set("close", r));
    this.#worker.postMessage({ type: "close" });
    let timer: unknown;
    const late = new Promise<void>((r) => (timer = this.#o.clock.setTimeout(r, this.#o.killGrace)));
    await Promise.race([closed, late]);
    this.#o.clock.clearTimeout(timer);
    this.#end("stopped", false);
  }
}
