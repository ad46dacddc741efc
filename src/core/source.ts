/**
 * The one interface every source presents to the agent, built-in or plugin:
 * `create` (validate, no I/O) → `start` → `collect` → `stop`.
 * @module
 */
import type { z } from "zod";
import type { Clock } from "./clock.ts";
import type { Logger } from "./logger.ts";
import type { Platform } from "./platform.ts";
import type { Redactor } from "./redact.ts";
import type { Attributes, MetricType, SampleInput } from "./sample.ts";

/**
 * Receives what one collection produced. One failing item goes to
 * `addError` and never stops the others (Telegraf's accumulator).
 *
 * A collection **failed as a whole** when the source called `fail`, when it
 * timed out, or when it reported errors and no sample. A failed collection
 * counts against the circuit breaker and triggers `on_failure`; the samples
 * it added (such as `up = 0`) are exported as diagnostics, never kept as last
 * good values. A collection with errors and samples, without `fail`, is
 * partial: a success for the breaker.
 */
export interface Accumulator {
  /** Adds a sample; its name is relative to the source (`response_time`). */
  add(sample: SampleInput): void;
  /** Records the failure of one item (query, URL, output line). */
  addError(err: unknown, item?: string): void;
  /**
   * Records that the collection failed as a whole (target unreachable, bad
   * status, command failed): `err` is its error, with `item` like `addError`.
   * Samples added before or after are diagnostics of the failure.
   */
  fail(err: unknown, item?: string): void;
}

/** A running source. */
export interface Source {
  readonly name: string;
  readonly type: string;
  /** Connects or prepares, under the given signal (aborted on timeout). */
  start(signal: AbortSignal): Promise<void>;
  /** Collects once; reports failures per item through `acc`; honours `signal`. */
  collect(acc: Accumulator, signal: AbortSignal): Promise<void>;
  /** Releases everything. Safe to call twice. */
  stop(): Promise<void>;
  /** Kind-specific state for `/status` (a pool's size and waiters, a plugin host's restarts). */
  details?(): Record<string, unknown>;
}

/** What a source receives from the agent. */
export interface SourceDeps {
  logger: Logger;
  platform: Platform;
  clock: Clock;
  redactor: Redactor;
  /** Directory of the config file that declared the source (relative paths resolve here). */
  baseDir: string;
}

/** Fields every source has, after validation (durations in milliseconds). */
export interface CommonSourceConfig {
  name: string;
  type: string;
  /** Milliseconds. */
  interval: number;
  /** Milliseconds; at most `interval`. */
  timeout: number;
  enabled: boolean;
  /** Static attributes added to every sample of the source. */
  attributes: Attributes;
  /** Default OTel type of the source's samples. */
  otel_type?: MetricType;
}

/** A kind of source (`http`, `command`, ...): its schema and its factory. */
export interface SourceKind<C extends object = Record<string, unknown>> {
  readonly type: string;
  /** One line for `sextant help` and docs. */
  readonly description: string;
  /** Kind-specific fields; the agent merges them with the common ones into a strict object. */
  readonly fields: z.ZodRawShape;
  /** Cross-field checks after the fields validated; returns problems with paths relative to the source table. */
  check?(config: C & CommonSourceConfig): { path: (string | number)[]; message: string }[];
  /** Secrets in the config (passwords, tokens) to register with the redactor. */
  secrets?(config: C & CommonSourceConfig): string[];
  /** Builds the source; validates only, no I/O. */
  create(config: C & CommonSourceConfig, deps: SourceDeps): Source;
}
