/**
 * Reads a child's output as lines with a cap on line length, for the
 * long-running plugin protocols (module hosts and exec daemons).
 * @module
 */

/** Options of {@linkcode readLines} and {@linkcode LineSplitter}. */
export interface ReadLinesOptions {
  /** Longest line accepted, in bytes; a longer one calls `onOverflow` and stops reading. */
  maxLine: number;
  onLine(line: string): void;
  onOverflow(): void;
  /**
   * When set, a line longer than `maxLine` does not stop reading: its first
   * `maxLine` characters are passed here, the rest up to the next newline is
   * skipped, and later lines are read as usual (for stderr, which is only
   * logged). `onOverflow` is then never called.
   */
  onLong?(prefix: string): void;
  /** Called once when the stream ends (or reading stopped). */
  onEnd?(): void;
}

const CR = 13;

/**
 * Splits pushed chunks into lines (without the `\n` or a `\r` before it).
 * Each chunk is scanned once, from where the last one ended, so a long line
 * arriving in many chunks costs linear time; a chunk that holds whole lines
 * and no partial one allocates nothing but the lines.
 *
 * @example
 * ```ts
 * const split = new LineSplitter({ maxLine: 1 << 20, onLine: console.log, onOverflow: kill });
 * split.push(bytes);
 * ```
 */
export class LineSplitter {
  #o: ReadLinesOptions;
  #decoder = new TextDecoder();
  /** The start of a line whose newline has not arrived yet. */
  #partial = "";
  #stopped = false;
  /** Inside a long line whose start was already reported (`onLong`): skipping to its newline. */
  #skipping = false;

  constructor(o: ReadLinesOptions) {
    this.#o = o;
  }

  /** True once it overflowed or was stopped; later pushes are ignored. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Stops splitting: later chunks are ignored and no more lines are reported. */
  stop(): void {
    this.#stopped = true;
  }

  /** Feeds bytes (or text already decoded). */
  push(chunk: Uint8Array | string): void {
    if (this.#stopped) return;
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    const max = this.#o.maxLine;
    let start = 0;
    let nl = text.indexOf("\n");
    if (this.#skipping) {
      if (nl === -1) return;
      this.#skipping = false;
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    while (nl !== -1) {
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === CR) end--;
      else if (end === start && this.#partial.charCodeAt(this.#partial.length - 1) === CR) {
        this.#partial = this.#partial.slice(0, -1);
      }
      const line = this.#partial === ""
        ? text.slice(start, end)
        : this.#partial + text.slice(start, end);
      this.#partial = "";
      if (line.length > max) {
        if (!this.#o.onLong) return this.#overflow();
        this.#o.onLong(line.slice(0, max));
      } else this.#o.onLine(line);
      if (this.#stopped) return;
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    if (start < text.length) {
      this.#partial = start === 0 && this.#partial === ""
        ? text
        : this.#partial + text.slice(start);
      if (this.#partial.length > max) {
        if (!this.#o.onLong) return this.#overflow();
        this.#o.onLong(this.#partial.slice(0, max));
        this.#partial = "";
        this.#skipping = true;
      }
    }
  }

  /** The input ended: reports a last line that had no newline. */
  end(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = "";
    if (rest === "") return;
    if (this.#skipping) return;
    if (rest.length > this.#o.maxLine) {
      return this.#o.onLong ? this.#o.onLong(rest.slice(0, this.#o.maxLine)) : this.#o.onOverflow();
    }
    this.#o.onLine(rest.charCodeAt(rest.length - 1) === CR ? rest.slice(0, -1) : rest);
  }

  #overflow(): void {
    this.#stopped = true;
    this.#partial = "";
    this.#o.onOverflow();
  }
}

/**
 * Splits `stream` into lines (without the `\n`) and calls `onLine` for each.
 * Returns a function that stops reading.
 *
 * @example
 * ```ts
 * const stop = readLines(child.stdout, { maxLine: 1 << 20, onLine: console.log, onOverflow: kill });
 * ```
 */
export function readLines(stream: ReadableStream<Uint8Array>, o: ReadLinesOptions): () => void {
  const reader = stream.getReader();
  let overflowed = false;
  const split = new LineSplitter({
    ...o,
    onOverflow: () => {
      overflowed = true;
      stop();
      o.onOverflow();
    },
  });
  let cancelled = false;
  const stop = () => {
    split.stop();
    if (cancelled) return;
    cancelled = true;
    reader.cancel().catch(() => {});
  };
  (async () => {
    try {
      while (!split.stopped) {
        const { done, value } = await reader.read();
        if (done) break;
        split.push(value);
      }
      if (!overflowed) split.end();
    } catch {
      /* a stream that errors ends like one that closed */
    } finally {
      split.stop();
      try {
        reader.releaseLock();
      } catch { /* pending read after cancel */ }
      o.onEnd?.();
    }
  })();
  return stop;
}
