/**
 * The export layer's own state: which metrics exist (first definition wins),
 * which series each source currently reports, and the limits and conflicts a
 * sample must clear before it reaches OpenTelemetry. Pure: no OTel, no I/O.
 * @module
 */
import { type Attributes, type MetricType, type Sample, seriesKey } from "../core/mod.ts";
import { type CheckedSample, checkSample } from "./check_sample.ts";
import { prometheusFamilyName, prometheusSampleNames, TARGET_INFO } from "./prometheus_names.ts";

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
  /** A metric was defined for the first time (or again, after it was dropped). */
  define(def: MetricDefinition): void;
  /** A histogram sample passed every check. */
  record(def: MetricDefinition, value: number, attributes: Attributes): void;
}

interface LiveSeries extends SeriesValue {
  /** `seriesKey` of the attributes: the series as OTel knows it. */
  readonly raw: string;
}

interface Metric extends MetricDefinition {
  /**
   * Live series by their Prometheus identity (see `CheckedSample.labels`), so
   * that two attribute sets Prometheus cannot tell apart are never both live.
   * Histograms: every series recorded since the last compaction.
   */
  readonly series: Map<string, LiveSeries>;
  /** `raw` of each live series. */
  readonly live: Set<string>;
  /** `raw` of every series given to OTel since the last compaction; OTel never forgets them. */
  seen: Set<string>;
}

interface Pending {
  attributes: Attributes;
  value: number;
  raw: string;
  sample: Sample;
}

/** Limits of a {@linkcode SeriesStore}. */
export interface SeriesStoreOptions {
  /** Live series one metric may have. */
  maxSeriesPerMetric: number;
  /** Metrics that may have live series at once. @default {10000} */
  maxMetrics?: number;
}

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
  readonly #maxMetrics: number;
  readonly #metrics = new Map<string, Metric>();
  /** Prometheus sample name → the OTel name that owns it. */
  readonly #promOwners = new Map<string, string>([[TARGET_INFO, "(resource)"]]);
  /** source → metric name → Prometheus identities of the series it wrote. */
  readonly #bySource = new Map<string, Map<string, Set<string>>>();
  /** Metrics with at least one live series. */
  #active = 0;

  constructor(options: SeriesStoreOptions) {
    this.#max = options.maxSeriesPerMetric;
    this.#maxMetrics = options.maxMetrics ?? 10_000;
  }

  /** Takes one source's batch; never throws. */
  write(source: string, samples: readonly Sample[], hooks: StoreHooks): RejectedSample[] {
    const rejected: RejectedSample[] = [];
    // The batch replaces this source's series: they neither conflict with it nor count against limits.
    this.#forget(source);
    const pending = new Map<Metric, Map<string, Pending>>();
    /** Metrics without live series that this batch brings (back); they count against `maxMetrics`. */
    const activating = new Set<Metric>();
    for (const sample of samples) {
      const checked = checkSample(sample);
      if (typeof checked === "string") {
        rejected.push({ sample, reason: checked });
        continue;
      }
      const metric = this.#resolve(checked, hooks, activating);
      if (typeof metric === "string") {
        rejected.push({ sample, reason: metric });
        continue;
      }
      const id = checked.labels.length === 0 ? "[]" : JSON.stringify(checked.labels);
      const raw = checked.key;
      const live = metric.series.get(id);
      if (metric.type === "histogram") {
        if (live && live.raw !== raw) {
          rejected.push({ sample, reason: conflictReason(metric, checked, live.attributes) });
        } else if (!live && metric.series.size >= this.#max) {
          rejected.push({ sample, reason: this.#limitReason(metric) });
        } else {
          this.#set(metric, id, {
            attributes: checked.attributes,
            value: checked.value,
            source,
            raw,
          });
          metric.seen.add(raw);
          hooks.record(metric, checked.value, checked.attributes);
        }
        continue;
      }
      let batch = pending.get(metric);
      if (!batch) pending.set(metric, batch = new Map());
      const earlier = batch.get(id);
      if (earlier && earlier.raw === raw) {
        rejected.push({
          sample: earlier.sample,
          reason: "a later sample in the same batch has the same name and attributes",
        });
      } else if (earlier || (live && live.raw !== raw)) {
        // Another attribute set with the same Prometheus labels came first (this source's own
        // old series are forgotten already, so `live` is another source's).
        const first = earlier?.attributes ?? live!.attributes;
        rejected.push({ sample, reason: conflictReason(metric, checked, first) });
        continue;
      }
      batch.set(id, { attributes: checked.attributes, value: checked.value, raw, sample });
    }

    const mine = new Map<string, Set<string>>();
    for (const [metric, batch] of pending) {
      const ids = new Set<string>();
      for (const [id, { attributes, value, raw, sample }] of batch) {
        if (!metric.series.has(id) && metric.series.size >= this.#max) {
          rejected.push({ sample, reason: this.#limitReason(metric) });
          continue;
        }
        this.#set(metric, id, { attributes, value, source, raw });
        metric.seen.add(raw);
        ids.add(id);
      }
      if (ids.size > 0) mine.set(metric.name, ids);
    }
    if (mine.size > 0) this.#bySource.set(source, mine);
    return rejected;
  }

  /** Every metric defined so far, in definition order. */
  definitions(): MetricDefinition[] {
    return [...this.#metrics.values()];
  }

  /** The definition of a metric, if any; the same object for as long as the metric exists. */
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
    return metric.live.has(seriesKey(name, attributes));
  }

  /** Live series, and series OTel still remembers although no source reports them. */
  counts(): { live: number; dead: number } {
    let live = 0;
    let seen = 0;
    for (const m of this.#metrics.values()) {
      live += m.series.size;
      seen += m.seen.size;
    }
    return { live, dead: seen - live };
  }

  /** Metrics defined (each an OTel instrument), and those of them with live series. */
  metricCounts(): { defined: number; active: number } {
    return { defined: this.#metrics.size, active: this.#active };
  }

  /**
   * Before the OTel state is rebuilt from {@linkcode definitions}: forgets
   * metrics without live series (their Prometheus names become free, a later
   * sample defines them anew), keeps only live series, and histograms start
   * empty. Returns how many metrics were dropped.
   */
  compact(): number {
    let dropped = 0;
    for (const [name, m] of this.#metrics) {
      if (m.series.size === 0) {
        this.#metrics.delete(name);
        for (const p of prometheusSampleNames(name, m.type)) this.#promOwners.delete(p);
        dropped++;
      } else if (m.type === "histogram") {
        m.series.clear();
        m.live.clear();
        m.seen = new Set();
      } else {
        m.seen = new Set(m.live);
      }
    }
    for (const [source, byMetric] of this.#bySource) {
      for (const name of byMetric.keys()) if (!this.#metrics.has(name)) byMetric.delete(name);
      if (byMetric.size === 0) this.#bySource.delete(source);
    }
    this.#active = 0;
    for (const m of this.#metrics.values()) if (m.series.size > 0) this.#active++;
    return dropped;
  }

  #set(metric: Metric, id: string, series: LiveSeries): void {
    const old = metric.series.get(id);
    if (old) metric.live.delete(old.raw);
    else if (metric.series.size === 0) this.#active++;
    metric.series.set(id, series);
    metric.live.add(series.raw);
  }

  /** Removes the series `source` wrote last (those another source took over stay). */
  #forget(source: string): void {
    const previous = this.#bySource.get(source);
    if (!previous) return;
    this.#bySource.delete(source);
    for (const [name, ids] of previous) {
      const metric = this.#metrics.get(name);
      if (!metric) continue;
      for (const id of ids) {
        const s = metric.series.get(id);
        if (s?.source !== source) continue;
        metric.series.delete(id);
        metric.live.delete(s.raw);
        if (metric.series.size === 0) this.#active--;
      }
    }
  }

  #limitReason(metric: Metric): string {
    return `metric ${
      JSON.stringify(metric.name)
    } already has ${this.#max} series (the limit per metric); new series are dropped`;
  }

  /** A metric without live series may take a sample only while fewer than `maxMetrics` have some. */
  #admit(name: string, activating: Set<Metric>): string | undefined {
    if (this.#active + activating.size < this.#maxMetrics) return undefined;
    return `metric ${
      JSON.stringify(name)
    } is dropped: ${this.#maxMetrics} metrics already have series (the limit); new metrics are dropped until others stop reporting`;
  }

  #resolve(sample: CheckedSample, hooks: StoreHooks, activating: Set<Metric>): Metric | string {
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
      if (existing.series.size === 0 && !activating.has(existing)) {
        const full = this.#admit(sample.name, activating);
        if (full) return full;
        // A histogram's first series counts in #active at once.
        if (existing.type !== "histogram") activating.add(existing);
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
    const full = this.#admit(sample.name, activating);
    if (full) return full;
    for (const promName of promNames) this.#promOwners.set(promName, sample.name);
    const metric: Metric = {
      name: sample.name,
      type: sample.type,
      unit: sample.unit ?? "",
      description: sample.description ?? "",
      series: new Map(),
      live: new Set(),
      seen: new Set(),
    };
    this.#metrics.set(metric.name, metric);
    if (metric.type !== "histogram") activating.add(metric);
    hooks.define(metric);
    return metric;
  }
}

/** Why a sample is refused when other attributes already make the same Prometheus series. */
function conflictReason(metric: Metric, sample: CheckedSample, first: Attributes): string {
  const labels = sample.labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",");
  const empty = Object.values(sample.attributes).includes("") ||
    Object.values(first).includes("");
  return `metric ${JSON.stringify(metric.name)}: attributes ${
    JSON.stringify(sample.attributes)
  } and ${JSON.stringify(first)} (written first) are the same Prometheus series ${
    prometheusFamilyName(metric.name, metric.type)
  }{${labels}}${empty ? " (an empty value is no label)" : ""}`;
}
