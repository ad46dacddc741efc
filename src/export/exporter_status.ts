/**
 * Per-exporter bookkeeping as named events: each outcome writes its log line
 * and bumps its counter in one place.
 * @module
 */
import type { Logger } from "../core/mod.ts";
import type { QueueStatus, RetryQueue } from "./retry_queue.ts";

/** What `status()` reports for one exporter. */
export interface ExporterStatus {
  name: string;
  type: string;
  /** Where it sends to or listens on (no credentials, no query string). */
  endpoint?: string;
  /** Successful exports (for Prometheus: scrapes served). */
  exports: number;
  failures: number;
  /** Unix ms of the last successful export. */
  lastExportAt?: number;
  /** The most recent failure, kept after recovery. */
  lastError?: string;
  /** The retry queue of a push exporter that has one. */
  queue?: QueueStatus;
}

/** Counters and log lines of one exporter. */
export class ExporterStats {
  readonly name: string;
  readonly type: string;
  endpoint: string | undefined;
  #exports = 0;
  #failures = 0;
  #consecutive = 0;
  #lastExportAt: number | undefined;
  #lastError: string | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** The exporter's retry queue, when it has one. */
  queue?: RetryQueue;

  constructor(
    name: string,
    type: string,
    endpoint: string | undefined,
    logger: Logger,
    now: () => number = Date.now,
  ) {
    this.name = name;
    this.type = type;
    this.endpoint = endpoint;
    this.#logger = logger;
    this.#now = now;
  }

  /** Event `export succeeded`: logs only when it ends a run of failures. */
  succeeded(): void {
    this.#exports++;
    this.#lastExportAt = this.#now();
    if (this.#consecutive > 0) {
      this.#logger.info("export recovered", {
        exporter: this.name,
        failed_before: this.#consecutive,
      });
      this.#consecutive = 0;
    }
  }

  /** Event `batch dropped`: the retry queue was full; one warning line, counted by the queue. */
  dropped(points: number): void {
    this.#logger.warn("export retry queue full: oldest batch dropped", {
      exporter: this.name,
      points,
    });
  }

  /** Event `export failed`: one warning line, no stack. */
  failed(message: string): void {
    this.#failures++;
    this.#consecutive++;
    this.#lastError = message;
    this.#logger.warn("export failed", {
      exporter: this.name,
      endpoint: this.endpoint,
      error: message,
    });
  }

  /** A copy for `status()`. */
  snapshot(): ExporterStatus {
    const s: ExporterStatus = {
      name: this.name,
      type: this.type,
      exports: this.#exports,
      failures: this.#failures,
    };
    if (this.endpoint !== undefined) s.endpoint = this.endpoint;
    if (this.#lastExportAt !== undefined) s.lastExportAt = this.#lastExportAt;
    if (this.#lastError !== undefined) s.lastError = this.#lastError;
    if (this.queue) s.queue = this.queue.snapshot();
    return s;
  }
}
