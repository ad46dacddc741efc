/**
 * The accumulator handed to a source for one collection: it qualifies
 * names (`<source>.<metric>`), adds static attributes, and turns bad
 * samples into per-item errors instead of exporting them.
 * @module
 */
import {
  type Accumulator,
  type Attributes,
  CollectError,
  errorMessage,
  isValidAttributeKey,
  isValidMetricName,
  METRIC_TYPES,
  type MetricType,
  type Sample,
  type SampleInput,
} from "../core/mod.ts";

/** One recorded failure of a collection. */
export interface ItemError {
  source: string;
  item?: string;
  message: string;
}

/** Options of {@linkcode CollectingAccumulator}. */
export interface AccumulatorOptions {
  source: string;
  attributes: Attributes;
  defaultType: MetricType;
  now: () => number;
  /** Most samples one collection may add; the rest are dropped and reported once. @default {10000} */
  maxSamples?: number;
  /** Most errors one collection keeps; the rest are counted in one closing error. @default {100} */
  maxErrors?: number;
  redact?: (text: string) => string;
}

/** Collects the samples and errors of one collection. */
export class CollectingAccumulator implements Accumulator {
  readonly samples: Sample[] = [];
  readonly errors: ItemError[] = [];
  dropped = 0;
  /** Set by `fail`: the collection failed as a whole; its samples are diagnostics. */
  failed = false;
  /** The error given to the first `fail`, for telling a timeout apart. */
  failure?: unknown;
  /** Errors beyond `maxErrors`, counted but not kept. */
  suppressedErrors = 0;
  #o: Required<AccumulatorOptions>;
  #closed = false;

  constructor(options: AccumulatorOptions) {
    this.#o = { maxSamples: 10_000, maxErrors: 100, redact: (t) => t, ...options };
  }

  /** After `close()`, late additions from a timed-out source are ignored. */
  close(): void {
    if (this.#closed) return;
    if (this.suppressedErrors > 0) {
      this.errors.push({
        source: this.#o.source,
        message: `... and ${this.suppressedErrors} more error(s) in this collection`,
      });
    }
    this.#closed = true;
  }

  add(input: SampleInput): void {
    if (this.#closed) return;
    const o = this.#o;
    if (!input || typeof input.name !== "string") return this.#fail("sample without a name", input);
    const name = `${o.source}.${input.name}`;
    if (!isValidMetricName(name)) {
      return this.#fail(`invalid metric name ${JSON.stringify(input.name)}`, input);
    }
    const value = typeof input.value === "bigint" ? Number(input.value) : input.value;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return this.#fail(
        `metric ${JSON.stringify(input.name)} has a non-finite value ${
          JSON.stringify(String(input.value))
        }`,
        input,
      );
    }
    const type = input.type ?? o.defaultType;
    if (!METRIC_TYPES.includes(type)) {
      return this.#fail(
        `metric ${JSON.stringify(input.name)} has unknown type ${JSON.stringify(type)}`,
        input,
      );
    }
    const attributes: Attributes = { ...o.attributes };
    const own = input.attributes;
    if (own) {
      for (const k of Object.keys(own)) {
        if (!isValidAttributeKey(k)) {
          return this.#fail(
            `metric ${JSON.stringify(input.name)} has an invalid attribute key ${
              JSON.stringify(k)
            }`,
            input,
          );
        }
        attributes[k] = String(own[k]);
      }
    }
    if (this.samples.length >= o.maxSamples) {
      if (this.dropped++ === 0) {
        this.addError(
          new CollectError(
            o.source,
            `more than ${o.maxSamples} samples in one collection; the rest are dropped`,
          ),
        );
      }
      return;
    }
    const sample: Sample = { name, value, type, attributes, timestamp: input.timestamp ?? o.now() };
    if (input.unit) sample.unit = input.unit;
    if (input.description) sample.description = input.description;
    this.samples.push(sample);
  }

  /** Rejects one sample: an item error, not a failure of the collection. */
  #fail(message: string, input: SampleInput | undefined): void {
    this.addError(new CollectError(this.#o.source, message), input?.name);
  }

  fail(err: unknown, item?: string): void {
    if (this.#closed) return;
    if (!this.failed) this.failure = err;
    this.failed = true;
    this.addError(err, item);
  }

  addError(err: unknown, item?: string): void {
    if (this.#closed) return;
    if (this.errors.length >= this.#o.maxErrors) {
      this.suppressedErrors++;
      return;
    }
    this.errors.push({ source: this.#o.source, item, message: this.#o.redact(errorMessage(err)) });
  }
}
