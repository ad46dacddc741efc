/**
 * The export layer's own state: which metrics exist (first definition wins),
 * which series each source currently reports, and the checks a sample must
 * pass before it reaches OpenTelemetry. Pure: no OTel, no I/O.
 * @module
 */
import {
  type Attributes,
  isValidAttributeKey,
  isValidMetricName,
  METRIC_TYPES,
  type MetricType,
  type Sample,
  seriesKey,
} from "../core/mod.ts";
import { prometheusLabelName, prometheusSampleNames, TARGET_INFO } from "./prometheus_names.ts";

/** A metric as first defined; later samples of the same name must match its type. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  /** UCUM unit, `""` when none was given. */
  readonly unit: string;
  readonly description: string;
}

/** One current value of a gauge, counter or up-down counter series. */
export interface SeriesValue {
  readonly attributes: Attributes;
  readonly value: number;
  /** The source that wrote it last. */
  readonly source: string;
}

/** A sample that was not exported, and why. */
export interface RejectedSample {
  sample: Sample;
  reason: string;
}

/** What the store asks of the OTel side while it takes a batch. */
export interface StoreHooks {
  /** A metric was defined for the first time. */
  define(def: MetricDefinition): void;
  /** A histogram sample passed every check. */
  record(def: MetricDefinition, value: number, attributes: Attributes): void;
}

interface Metric extends MetricDefinition {
  /** Live series (not histograms). */
  readonly series: Map<string, SeriesValue>;
  /** Series keys given to OTel since the last compaction; OTel never forgets them. */
  seen: Set<string>;
}

const UNIT_RE = /^[\x21-\x7e]{0,63}$/;

/**
 * Replacement semantics per source: for gauges, counters and up-down
 * counters, a source's batch replaces everything it wrote before.
 *
 * @example Replacing a source's series
 * ```ts
 * const store = new SeriesStore({ maxSeriesPerMetric: 100 });
 * store.write("db", [gaugeA, gaugeB], hooks);
 * store.write("db", [gaugeA], hooks); // gaugeB's series is gone
 * ```
 */
export class SeriesStore {
  readonly #max: number;
  readonly #metrics = new Map<string, Metric>();
  /** Prometheus sample name → the OTel name that owns it. */
  readonly #promOwners = new Map<string, string>([[TARGET_INFO, "(resource)"]]);
  /** source → metric name → series keys it wrote. */
  readonly #bySource = new Map<string, Map<string, Set<string>>>();

  constructor(options: { maxSeriesPerMetric: number }) {
    this.#max = options.maxSeriesPerMetric;
  }

  /** Takes one source's batch; never throws. */
  write(source: string, samples: readonly Sample[], hooks: StoreHooks): RejectedSample[] {
    const rejected: RejectedSample[] = [];
    const pending = new Map<
      Metric,
      Map<string, { attributes: Attributes; value: number; sample: Sample }>
    >();
    for (const sample of samples) {
      const checked = checkSample(sample);
      if (typeof checked === "string") {
        rejected.push({ sample, reason: checked });
        continue;
      }
      const metric = this.#resolve(checked, hooks);
      if (typeof metric === "string") {
        rejected.push({ sample, reason: metric });
        continue;
      }
      const key = seriesKey(metric.name, checked.attributes);
      if (metric.type === "histogram") {
        if (!metric.seen.has(key) && metric.seen.size >= this.#max) {
          rejected.push({ sample, reason: this.#limitReason(metric) });
          continue;
        }
        metric.seen.add(key);
        hooks.record(metric, checked.value, checked.attributes);
        continue;
      }
      let batch = pending.get(metric);
      if (!batch) pending.set(metric, batch = new Map());
      const earlier = batch.get(key);
      if (earlier) {
        rejected.push({
          sample: earlier.sample,
          reason: "a later sample in the same batch has the same name and attributes",
        });
      }
      batch.set(key, { attributes: checked.attributes, value: checked.value, sample });
    }

    // Series of this source that the new batch does not repeat disappear.
    const previous = this.#bySource.get(source);
    for (const [name, keys] of previous ?? []) {
      const metric = this.#metrics.get(name)!;
      const now = pending.get(metric);
      for (const key of keys) {
        if (now?.has(key)) continue;
        if (metric.series.get(key)?.source === source) metric.series.delete(key);
      }
    }

    const mine = new Map<string, Set<string>>();
    for (const [metric, batch] of pending) {
      const keys = new Set<string>();
      for (const [key, { attributes, value, sample }] of batch) {
        if (!metric.series.has(key) && metric.series.size >= this.#max) {
          rejected.push({ sample, reason: this.#limitReason(metric) });
          continue;
        }
        metric.series.set(key, { attributes, value, source });
        metric.seen.add(key);
        keys.add(key);
      }
      if (keys.size > 0) mine.set(metric.name, keys);
    }
    if (mine.size > 0) this.#bySource.set(source, mine);
    else this.#bySource.delete(source);
    return rejected;
  }

  /** Every metric defined so far, in definition order. */
  definitions(): MetricDefinition[] {
    return [...this.#metrics.values()];
  }

  /** The definition of a metric, if any. */
  definition(name: string): MetricDefinition | undefined {
    return this.#metrics.get(name);
  }

  /** Current series of a gauge, counter or up-down counter. */
  series(name: string): Iterable<SeriesValue> {
    return this.#metrics.get(name)?.series.values() ?? [];
  }

  /** Whether OTel may still report this series (histogram series always may). */
  isLive(name: string, attributes: Attributes): boolean {
    const metric = this.#metrics.get(name);
    if (!metric) return false;
    if (metric.type === "histogram") return true;
    return metric.series.has(seriesKey(name, attributes));
  }

  /** Live series, and series OTel still remembers although no source reports them. */
  counts(): { live: number; dead: number } {
    let live = 0;
    let seen = 0;
    for (const m of this.#metrics.values()) {
      live += m.type === "histogram" ? m.seen.size : m.series.size;
      seen += m.seen.size;
    }
    return { live, dead: seen - live };
  }

  /** After OTel state was rebuilt: only live series are remembered, histograms start empty. */
  resetSeen(): void {
    for (const m of this.#metrics.values()) {
      m.seen = m.type === "histogram" ? new Set() : new Set(m.series.keys());
    }
  }

  #limitReason(metric: Metric): string {
    return `metric ${
      JSON.stringify(metric.name)
    } already has ${this.#max} series (the limit per metric); new series are dropped`;
  }

  #resolve(sample: CheckedSample, hooks: StoreHooks): Metric | string {
    const existing = this.#metrics.get(sample.name);
    if (existing) {
      if (existing.type !== sample.type) {
        return `metric ${
          JSON.stringify(sample.name)
        } is already a ${existing.type}; a ${sample.type} sample cannot use the same name`;
      }
      if (sample.unit && existing.unit && sample.unit !== existing.unit) {
        return `metric ${JSON.stringify(sample.name)} already has unit ${
          JSON.stringify(existing.unit)
        }, not ${JSON.stringify(sample.unit)}`;
      }
      return existing;
    }
    const promNames = prometheusSampleNames(sample.name, sample.type);
    for (const promName of promNames) {
      const owner = this.#promOwners.get(promName);
      if (owner !== undefined) {
        return `metric ${JSON.stringify(sample.name)} would be exported to Prometheus as ${
          JSON.stringify(promName)
        }, which ${
          owner === "(resource)" ? "is reserved" : `metric ${JSON.stringify(owner)} already uses`
        }`;
      }
    }
    for (const promName of promNames) this.#promOwners.set(promName, sample.name);
    const metric: Metric = {
      name: sample.name,
      type: sample.type,
      unit: sample.unit ?? "",
      description: sample.description ?? "",
      series: new Map(),
      seen: new Set(),
    };
    this.#metrics.set(metric.name, metric);
    hooks.define(metric);
    return metric;
  }
}

interface CheckedSample {
  name: string;
  type: MetricType;
  value: number;
  attributes: Attributes;
  unit?: string;
  description?: string;
}

/** Validates one sample; returns the reason when it is unusable. */
export function checkSample(sample: Sample): CheckedSample | string {
  if (typeof sample !== "object" || sample === null) {
    return `a sample must be an object, found ${typeof sample}`;
  }
  const { name, type, value } = sample;
  if (typeof name !== "string" || !isValidMetricName(name)) {
    return `invalid metric name ${
      JSON.stringify(name)
    }: expected a letter, then letters, digits, '_', '.', '-' or '/' (at most 255)`;
  }
  if (!(METRIC_TYPES as readonly unknown[]).includes(type)) {
    return `metric ${JSON.stringify(name)}: type must be one of ${METRIC_TYPES.join(", ")}, found ${
      JSON.stringify(type)
    }`;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return `metric ${JSON.stringify(name)}: value must be a finite number, found ${
      typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value)
    }`;
  }
  if ((type === "counter" || type === "histogram") && value < 0) {
    return `metric ${JSON.stringify(name)}: a ${type} value must not be negative, found ${value}`;
  }
  const attributes: Attributes = {};
  const labels = new Map<string, string>();
  const raw = sample.attributes ?? {};
  if (typeof raw !== "object") {
    return `metric ${JSON.stringify(name)}: attributes must be an object`;
  }
  for (const [key, v] of Object.entries(raw)) {
    if (!isValidAttributeKey(key)) {
      return `metric ${JSON.stringify(name)}: invalid attribute key ${
        JSON.stringify(key)
      }: expected [A-Za-z_][A-Za-z0-9_.]*, not starting with "__"`;
    }
    if (typeof v === "number" || typeof v === "boolean") attributes[key] = String(v);
    else if (typeof v === "string") attributes[key] = v;
    else {
      return `metric ${JSON.stringify(name)}: attribute ${
        JSON.stringify(key)
      } must be a string, found ${v === null ? "null" : typeof v}`;
    }
    const label = prometheusLabelName(key);
    const clash = labels.get(label);
    if (clash !== undefined) {
      return `metric ${JSON.stringify(name)}: attributes ${JSON.stringify(clash)} and ${
        JSON.stringify(key)
      } both become the Prometheus label ${JSON.stringify(label)}`;
    }
    labels.set(label, key);
  }
  if (
    sample.unit !== undefined && (typeof sample.unit !== "string" || !UNIT_RE.test(sample.unit))
  ) {
    return `metric ${
      JSON.stringify(name)
    }: unit must be at most 63 printable ASCII characters, found ${JSON.stringify(sample.unit)}`;
  }
  const description = typeof sample.description === "string" ? sample.description : undefined;
  return { name, type, value, attributes, unit: sample.unit || undefined, description };
}
