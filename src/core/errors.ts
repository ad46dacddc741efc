/**
 * Error classes, one base and one subclass per phase (build, connect,
 * collect, export), so that callers and logs can tell where a failure arose.
 * @module
 */

/** Base class of every error Sextant raises on purpose. */
export class SextantError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in which file a config problem sits. */
export interface ConfigLocation {
  file: string;
  line: number;
  col: number;
  /** Dotted key path, e.g. `custom_metrics.sources[0].interval`. */
  path: string;
}

/** A configuration problem; `toString()` gives `file:line:col: path: message`. */
export class ConfigError extends SextantError implements ConfigLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  /** The message without the location prefix. */
  readonly detail: string;
  constructor(loc: ConfigLocation, detail: string, options?: { cause?: unknown }) {
    super(formatLocated(loc, detail), options);
    this.file = loc.file;
    this.line = loc.line;
    this.col = loc.col;
    this.path = loc.path;
    this.detail = detail;
  }
}

/** Formats a located message the way `sextant validate` prints it. */
export function formatLocated(loc: ConfigLocation, detail: string): string {
  const where = `${loc.file}:${loc.line}:${loc.col}`;
  return loc.path ? `${where}: ${loc.path}: ${detail}` : `${where}: ${detail}`;
}

/** Several config errors reported together. */
export class ConfigErrors extends SextantError {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.errors = errors;
  }
}

/** A connection (database, HTTP endpoint, listener) could not be set up. */
export class ConnectError extends SextantError {
  readonly endpoint: string;
  constructor(endpoint: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.endpoint = endpoint;
  }
}

/** One item (query, URL, command output line) of one source failed. */
export class CollectError extends SextantError {
  readonly source: string;
  readonly query?: string;
  constructor(source: string, message: string, options?: { cause?: unknown; query?: string }) {
    super(message, options);
    this.source = source;
    this.query = options?.query;
  }
}

/** A step ran past its deadline. */
export class TimeoutError extends SextantError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`${what} timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** Sending metrics to a backend failed. */
export class ExportError extends SextantError {
  readonly exporter: string;
  constructor(exporter: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.exporter = exporter;
  }
}

/** A user-facing failure the CLI reports as one line and maps to an exit code. */
export class UsageError extends SextantError {}

/** The message of any thrown value, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
