/**
 * What `/status` and the `sextant.config.reload` counter show of hot
 * reloads: counts by result and the last attempt.
 * @module
 */

/** What a successful reload changed. */
export interface ReloadChanges {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  /** Whether the export pipeline was rebuilt (exporters or resource changed). */
  exporters: "kept" | "rebuilt";
  /** Settings that need a restart to change (logging). */
  restart_required?: string[];
}

/** One reload attempt. */
export interface ReloadRecord {
  /** Unix milliseconds. */
  at: number;
  /** What asked for it: `file`, `signal`, `http`. */
  trigger: string;
  result: "success" | "failure";
  duration_ms: number;
  /** Every error, `file:line:col: key.path: message`, when it failed. */
  errors: string[];
  warnings: string[];
  changes?: ReloadChanges;
}

/** Counts and the last record. */
export class ReloadStats {
  #success = 0;
  #failure = 0;
  #last?: ReloadRecord;

  record(r: ReloadRecord): void {
    if (r.result === "success") this.#success++;
    else this.#failure++;
    this.#last = r;
  }

  get counts(): { success: number; failure: number } {
    return { success: this.#success, failure: this.#failure };
  }

  status(): { reloads: { success: number; failure: number }; last_reload?: ReloadRecord } {
    return {
      reloads: this.counts,
      ...(this.#last ? { last_reload: structuredClone(this.#last) } : {}),
    };
  }
}
