/**
 * Reads a child's output as lines with a cap on line length, for the
 * long-running plugin protocols (module hosts and exec daemons).
 * @module
 */

/** Options of {@linkcode readLines}. */
export interface ReadLinesOptions {
  /** Longest line accepted, in bytes; a longer one calls `onOverflow` and stops reading. */
  maxLine: number;
  onLine(line: string): void;
  onOverflow(): void;
  /** Called once when the stream ends (or reading stopped). */
  onEnd?(): void;
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
  const decoder = new TextDecoder();
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    reader.cancel().catch(() => {});
  };
  (async () => {
    let buf = "";
    try {
      while (!stopped) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) !== -1) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.length > o.maxLine) {
            stop();
            o.onOverflow();
            return;
          }
          o.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
          if (stopped) return;
        }
        if (buf.length > o.maxLine) {
          stop();
          o.onOverflow();
          return;
        }
      }
      if (buf !== "" && !stopped) o.onLine(buf);
    } catch {
      /* a stream that errors ends like one that closed */
    } finally {
      stopped = true;
      try {
        reader.releaseLock();
      } catch { /* pending read after cancel */ }
      o.onEnd?.();
    }
  })();
  return stop;
}
