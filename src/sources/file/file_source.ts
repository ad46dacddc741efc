/**
 * Reads the configured file once per collection, within a size limit, and
 * turns its content into samples.
 * @module
 */
import { extname, isAbsolute, resolve } from "node:path";
import {
  type Accumulator,
  CollectError,
  type CommonSourceConfig,
  errorMessage,
  limitLineErrors,
  type Logger,
  type OutputFormat,
  parseOutput,
  type Platform,
  type Redactor,
  type Source,
  type SourceDeps,
} from "../../core/mod.ts";
import type { FileFields } from "./file_kind.ts";

const BY_EXTENSION: Record<string, OutputFormat> = {
  ".prom": "prometheus",
  ".json": "json",
  ".jsonl": "json",
  ".ndjson": "json",
};

/**
 * The format a file's extension implies, if any.
 *
 * @example
 * ```ts
 * formatOfPath("/var/lib/node_exporter/backup.prom"); // "prometheus"
 * formatOfPath("queue.txt"); // undefined
 * ```
 */
export function formatOfPath(path: string): OutputFormat | undefined {
  return BY_EXTENSION[extname(path).toLowerCase()];
}

/** A running `file` source. */
export class FileSource implements Source {
  readonly type = "file";
  readonly name: string;
  #config: FileFields & CommonSourceConfig;
  #path: string;
  #format: "auto" | OutputFormat;
  #platform: Platform;
  #log: Logger;
  #redactor: Redactor;

  constructor(config: FileFields & CommonSourceConfig, deps: SourceDeps) {
    this.name = config.name;
    this.#config = config;
    this.#path = isAbsolute(config.path) ? config.path : resolve(deps.baseDir, config.path);
    this.#format = config.format === "auto" ? formatOfPath(config.path) ?? "auto" : config.format;
    this.#platform = deps.platform;
    this.#log = deps.logger;
    this.#redactor = deps.redactor;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  async collect(acc: Accumulator, signal: AbortSignal): Promise<void> {
    const shown = JSON.stringify(this.#path);
    const error = (message: string, query?: string) =>
      new CollectError(this.name, `file source ${JSON.stringify(this.name)}: ${message}`, {
        query,
      });
    const fail = (message: string, query: string) => acc.addError(error(message, query), query);
    /** The file could not be read: the collection failed as a whole. */
    const failAll = (message: string) => acc.fail(error(message), this.#path);
    const max = this.#config.max_size;
    let bytes: Uint8Array;
    try {
      const info = await this.#platform.stat(this.#path);
      if (!info) return failAll(`file not found: ${shown}`);
      if (!info.isFile) return failAll(`${shown} is not a regular file`);
      if (info.size > max) {
        return failAll(`${shown} is larger than max_size (${max} bytes): ${info.size} bytes`);
      }
      if (signal.aborted) return;
      bytes = await this.#platform.readFile(this.#path);
    } catch (err) {
      return failAll(`cannot read ${shown}: ${this.#redactor.redact(errorMessage(err))}`);
    }
    // The file may have grown between stat and read.
    if (bytes.byteLength > max) {
      return failAll(`${shown} is larger than max_size (${max} bytes): ${bytes.byteLength} bytes`);
    }
    if (signal.aborted) return;
    const parsed = parseOutput(new TextDecoder().decode(bytes), this.#format, {
      name: this.#config.metric,
    });
    this.#log.debug("file read", {
      bytes: bytes.byteLength,
      format: parsed.format,
      samples: parsed.samples.length,
    });
    for (const s of parsed.samples) acc.add(s);
    const lineErrors = limitLineErrors(parsed.errors);
    for (const e of lineErrors.shown) {
      fail(
        `${shown} line ${e.line} (${parsed.format}): ${this.#redactor.redact(e.message)}`,
        `line ${e.line}`,
      );
    }
    if (lineErrors.moreLines > 0) {
      fail(
        `${shown} (${parsed.format}): ... and ${lineErrors.moreLines} more invalid lines`,
        "more lines",
      );
    }
  }

  /** Nothing to release. Safe to call twice. */
  stop(): Promise<void> {
    return Promise.resolve();
  }
}
