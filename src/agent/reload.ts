/**
 * Hot reload: loads and validates the configuration again, and when it is
 * valid hands it to the agent, which restarts only what changed. An invalid
 * configuration leaves the running one in place; every attempt is logged,
 * counted and shown in `/status`. Reloads never overlap: requests that
 * arrive during one are folded into a single reload after it.
 * @module
 */
import type { LoadResult } from "../config/mod.ts";
import {
  type Clock,
  errorMessage,
  type Logger,
  type Redactor,
  type SourceKind,
} from "../core/mod.ts";
import type { Agent } from "./agent.ts";
import type { ReloadChanges, ReloadRecord } from "./reload_state.ts";
import type { Document } from "./schema.ts";

/** What a reload answers (`POST /reload` returns it as JSON). */
export interface ReloadResult {
  ok: boolean;
  errors: string[];
  warnings: string[];
  changes?: ReloadChanges;
}

/** Options of {@linkcode Reloader}. */
export interface ReloaderOptions {
  agent: Agent;
  /** Loads and validates the configuration (the same files as at start). */
  load(): Promise<LoadResult<Document>>;
  logger: Logger;
  clock: Clock;
  redactor: Redactor;
  /** Called after a successful reload (to watch new includes, restart the admin API, ...). */
  onApplied?(
    result: LoadResult<Document> & { config: Document },
    previous: Document,
  ): Promise<void> | void;
  /** The config in use at start. */
  initial: Document;
  /** Source kinds for a newly loaded config; default: the agent keeps its kinds. */
  kinds?(loaded: LoadResult<Document> & { config: Document }): readonly SourceKind[];
}

/** Config errors logged per failed reload; `/status` has them all. */
const LOGGED_ERRORS = 20;

/** Serialises reloads of one agent. */
export class Reloader {
  #o: ReloaderOptions;
  #log: Logger;
  #current: Document;
  #running?: Promise<ReloadResult>;
  #queued?: Promise<ReloadResult>;

  constructor(options: ReloaderOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#current = options.initial;
  }

  /** Reloads now, or right after the reload in progress (several requests then share one). */
  reload(trigger: string): Promise<ReloadResult> {
    if (!this.#running) {
      this.#running = this.#run(trigger).finally(() => (this.#running = undefined));
      return this.#running;
    }
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.reload(trigger);
    });
    return this.#queued;
  }

  async #run(trigger: string): Promise<ReloadResult> {
    const clock = this.#o.clock;
    const t0 = clock.monotonic();
    const finish = (r: ReloadResult): ReloadResult => {
      const record: ReloadRecord = {
        at: clock.now(),
        trigger,
        result: r.ok ? "success" : "failure",
        duration_ms: Math.round((clock.monotonic() - t0) * 100) / 100,
        errors: r.errors,
        warnings: r.warnings,
        ...(r.changes ? { changes: r.changes } : {}),
      };
      this.#o.agent.recordReload(record);
      if (r.ok) {
        const c = r.changes!;
        this.#log.info("configuration reloaded", {
          trigger,
          added: c.added.join(",") || undefined,
          changed: c.changed.join(",") || undefined,
          removed: c.removed.join(",") || undefined,
          unchanged: c.unchanged.length,
          exporters: c.exporters,
          ms: record.duration_ms,
        });
      } else {
        this.#log.error("configuration reload failed; the running configuration stays", {
          trigger,
          errors: r.errors.length,
        });
        for (const e of r.errors.slice(0, LOGGED_ERRORS)) this.#log.error(e);
        if (r.errors.length > LOGGED_ERRORS) {
          this.#log.error("more config errors not logged; see /status", {
            count: r.errors.length - LOGGED_ERRORS,
          });
        }
      }
      return r;
    };

    let loaded: LoadResult<Document>;
    try {
      loaded = await this.#o.load();
    } catch (err) {
      return finish({ ok: false, errors: [`cannot load: ${errorMessage(err)}`], warnings: [] });
    }
    const warnings = loaded.warnings.map((w) => w.message);
    if (!loaded.ok || !loaded.config) {
      return finish({ ok: false, errors: loaded.errors.map((e) => e.message), warnings });
    }
    for (const s of loaded.secrets) this.#o.redactor.add(s);
    const previous = this.#current;
    let changes: ReloadChanges;
    try {
      const valid = loaded as LoadResult<Document> & { config: Document };
      changes = await this.#o.agent.apply({
        config: loaded.config,
        files: loaded.files,
        baseDirOf: (i) => loaded.baseDirOf(["custom_metrics", "sources", i]),
        kinds: this.#o.kinds?.(valid),
      });
    } catch (err) {
      return finish({
        ok: false,
        errors: [this.#o.redactor.redact(errorMessage(err))],
        warnings,
      });
    }
    this.#current = loaded.config;
    const restart = restartRequired(previous, loaded.config);
    if (restart.length > 0) {
      changes.restart_required = restart;
      this.#log.warn("some settings change only at restart", { settings: restart.join(",") });
    }
    try {
      await this.#o.onApplied?.(loaded as LoadResult<Document> & { config: Document }, previous);
    } catch (err) {
      warnings.push(this.#o.redactor.redact(errorMessage(err)));
    }
    return finish({ ok: true, errors: [], warnings, changes });
  }
}

/** Settings the running process cannot switch. */
function restartRequired(a: Document, b: Document): string[] {
  const out: string[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (!same(a.custom_metrics.log, b.custom_metrics.log)) out.push("custom_metrics.log");
  if (a.custom_metrics.agent.jitter !== b.custom_metrics.agent.jitter) {
    out.push("custom_metrics.agent.jitter");
  }
  return out;
}
