/**
 * Bookkeeping of hot reload: the diff of components by name and
 * fingerprint, and what `/status` and the `sextant.config.reload` counter
 * show (counts by result and the last attempt).
 * @module
 */

/**
 * Which components were added, changed, removed or kept, given each one's
 * fingerprint by name before and after. Sources use it; an aggregation
 * engine's rules or exporters can be diffed the same way.
 *
 * @example
 * ```ts
 * diffByKey(new Map([["a", "1"], ["b", "1"]]), new Map([["a", "1"], ["b", "2"], ["c", "1"]]));
 * // { added: ["c"], changed: ["b"], removed: [], unchanged: ["a"] }
 * ```
 */
export function diffByKey(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): { added: string[]; changed: string[]; removed: string[]; unchanged: string[] } {
  const out = {
    added: [] as string[],
    changed: [] as string[],
    removed: [] as string[],
    unchanged: [] as string[],
  };
  for (const name of before.keys()) if (!after.has(name)) out.removed.push(name);
  for (const [name, key] of after) {
    const old = before.get(name);
    if (old === undefined) out.added.push(name);
    else if (old === key) out.unchanged.push(name);
    else out.changed.push(name);
  }
  return out;
}

/** JSON with object keys sorted, so that equal configs give equal fingerprints. */
export function stableJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}

/** What a successful reload changed. */
export interface ReloadChanges {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  /** Whether the export pipeline was rebuilt (exporters or resource changed). */
  exporters: "kept" | "rebuilt";
  /** Aggregation rule ids kept (with their windows), added and dropped, when the rules changed. */
  aggregators?: { kept: string[]; added: string[]; dropped: string[] };
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
