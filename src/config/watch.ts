/**
 * Watches the files a configuration was loaded from and calls back once per
 * burst of changes (editors write a file in several steps: truncate, write,
 * rename). Directories are watched rather than files, because an editor that
 * saves by renaming a new file over the old one leaves a file watch on the
 * old, deleted inode.
 * @module
 */
import { basename, dirname } from "node:path";
import type { Clock, Platform, TimerHandle } from "../core/mod.ts";

/** Options of {@linkcode watchConfig}. */
export interface WatchOptions {
  platform: Pick<Platform, "watch">;
  clock: Pick<Clock, "setTimeout" | "clearTimeout">;
  /**
   * Absolute paths: `files` (their directory is watched, and only events for
   * them count) and `dirs` (any entry counts: a new `conf.d/*.toml` file).
   */
  paths: { files: string[]; dirs: string[] };
  /** Quiet time after the last event before `onChange`. @default {200} */
  debounceMs?: number;
  /** Called with the paths that changed during the burst. */
  onChange(changed: string[]): void;
}

/** A running watch. */
export interface ConfigWatch {
  /** Watches a new set of paths (after a reload changed the includes). */
  update(paths: { files: string[]; dirs: string[] }): void;
  /** Stops watching; a pending callback is dropped. Safe to call twice. */
  close(): void;
}

/**
 * Starts watching.
 *
 * @example Reloading on change
 * ```ts
 * const watch = watchConfig({ platform, clock, paths: result.watch, onChange: () => reload() });
 * ```
 */
export function watchConfig(opts: WatchOptions): ConfigWatch {
  const debounce = opts.debounceMs ?? 200;
  let stop: (() => void) | undefined;
  let timer: TimerHandle | undefined;
  let pending = new Set<string>();
  let closed = false;

  const start = (paths: { files: string[]; dirs: string[] }) => {
    stop?.();
    const files = new Set(paths.files);
    const dirs = new Set(paths.dirs);
    const fileDirs = new Set([...files].map((f) => dirname(f)));
    const watched = new Set([...dirs, ...fileDirs]);
    stop = opts.platform.watch([...watched], (path) => {
      if (closed) return;
      // `..data` and its kin: Kubernetes swaps a ConfigMap's files by renaming a symlinked
      // directory next to them, so the files themselves never see an event.
      const swapped = basename(path).startsWith("..") && fileDirs.has(dirname(path));
      if (!files.has(path) && !dirs.has(dirname(path)) && !swapped) return;
      pending.add(path);
      if (timer !== undefined) opts.clock.clearTimeout(timer);
      timer = opts.clock.setTimeout(() => {
        timer = undefined;
        const changed = [...pending];
        pending = new Set();
        if (!closed) opts.onChange(changed);
      }, debounce);
    });
  };
  start(opts.paths);
  return {
    update: (paths) => {
      if (!closed) start(paths);
    },
    close: () => {
      closed = true;
      if (timer !== undefined) opts.clock.clearTimeout(timer);
      stop?.();
    },
  };
}
