/**
 * One generation of OpenTelemetry SDK state: a MeterProvider, its readers
 * (a pull reader for Prometheus text, one periodic reader per push exporter)
 * and the instruments. The pipeline replaces a generation wholesale when the
 * SDK remembers too many series that no source reports any more.
 * @module
 */
import type { Histogram as OtelHistogram, Meter } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import {
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import type { Attributes } from "../core/mod.ts";
import { filterDataPoints } from "./_private.ts";
import type { ExporterStats } from "./exporter_status.ts";
import { MonitoredExporter } from "./monitored_exporter.ts";
import type { RetryQueue } from "./retry_queue.ts";
import type { MetricDefinition, SeriesStore } from "./series_store.ts";

/**
 * The SDK's per-instrument series limit. Sextant enforces its own limit on
 * live series and rebuilds the SDK state when dead ones pile up, so the SDK's
 * (which counts every series ever seen and then folds new ones into an
 * `otel.metric.overflow` series) must never be the one that bites.
 */
const SDK_CARDINALITY_LIMIT = 2 ** 31;

/** Bucket bounds for histograms in seconds (OTel's HTTP-duration advice); other units get the SDK default, which suits ms. */
export const SECONDS_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
];

/** What a generation needs to build one push exporter. */
export interface PushSpec {
  stats: ExporterStats;
  intervalMs: number;
  /** Per export; at most `intervalMs`. */
  timeoutMs: number;
  /** A new underlying exporter (one per generation: a shut-down exporter cannot be reused). */
  create(): PushMetricExporter;
  describe(err: unknown): string;
  /** Shared by every generation, so a rebuild keeps what waits for a retry. */
  retry?: RetryQueue;
}

class PullReader extends MetricReader {
  constructor() {
    super({ cardinalitySelector: () => SDK_CARDINALITY_LIMIT });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A periodic reader whose timer starts on `begin()`, not when the provider is built. */
class DeferredPeriodicReader extends PeriodicExportingMetricReader {
  readonly #exporter: PushMetricExporter;
  #ready = false;
  #begun = false;

  constructor(exporter: PushMetricExporter, intervalMs: number, timeoutMs: number) {
    super({
      exporter,
      exportIntervalMillis: intervalMs,
      exportTimeoutMillis: timeoutMs,
      cardinalityLimits: { default: SDK_CARDINALITY_LIMIT },
    });
    this.#exporter = exporter;
  }

  begin(): void {
    if (this.#begun) return;
    this.#begun = true;
    if (this.#ready) super.onInitialized();
  }

  protected override onInitialized(): void {
    this.#ready = true;
    if (this.#begun) super.onInitialized();
  }

  /** A reader that never began exports nothing on shutdown (only `flush()` pushes before `start()`). */
  protected override async onShutdown(): Promise<void> {
    if (this.#begun) return await super.onShutdown();
    await this.#exporter.shutdown();
  }
}

/** One MeterProvider with its readers and instruments. */
export class OtelGeneration {
  readonly #provider: MeterProvider;
  readonly #meter: Meter;
  readonly #pull = new PullReader();
  readonly #push: DeferredPeriodicReader[];
  readonly #store: SeriesStore;
  readonly #histograms = new Map<string, OtelHistogram>();
  readonly #filter: (rm: ResourceMetrics) => ResourceMetrics;
  #instruments = 0;

  constructor(resource: Resource, store: SeriesStore, push: readonly PushSpec[]) {
    this.#store = store;
    this.#filter = (rm) =>
      filterDataPoints(rm, (m, attrs) => store.isLive(m.descriptor.name, attrs as Attributes));
    this.#push = push.map((spec) =>
      new DeferredPeriodicReader(
        new MonitoredExporter(spec.create(), {
          stats: spec.stats,
          // The OTLP transport times out at timeoutMs itself and says why; this is the backstop.
          timeoutMs: spec.timeoutMs + 1000,
          filter: this.#filter,
          describe: spec.describe,
          retry: spec.retry,
        }),
        spec.intervalMs,
        spec.timeoutMs,
      )
    );
    this.#provider = new MeterProvider({ resource, readers: [this.#pull, ...this.#push] });
    this.#meter = this.#provider.getMeter("sextant");
    for (const def of store.definitions()) this.define(def);
  }

  /** Instruments created in this generation (one per metric defined). */
  get instruments(): number {
    return this.#instruments;
  }

  /** Creates the instrument of a new metric. */
  define(def: MetricDefinition): void {
    this.#instruments++;
    const options = { unit: def.unit, description: def.description };
    if (def.type === "histogram") {
      const advice = def.unit === "s" ? { explicitBucketBoundaries: SECONDS_BUCKETS } : undefined;
      this.#histograms.set(def.name, this.#meter.createHistogram(def.name, { ...options, advice }));
      return;
    }
    const instrument = def.type === "gauge"
      ? this.#meter.createObservableGauge(def.name, options)
      : def.type === "counter"
      ? this.#meter.createObservableCounter(def.name, options)
      : this.#meter.createObservableUpDownCounter(def.name, options);
    const store = this.#store;
    instrument.addCallback((result) => {
      // A retired generation's last export must not read a metric dropped and defined anew.
      if (store.definition(def.name) !== def) return;
      for (const s of store.series(def.name)) result.observe(s.value, s.attributes);
    });
  }

  /** Records one histogram sample. */
  record(def: MetricDefinition, value: number, attributes: Attributes): void {
    this.#histograms.get(def.name)?.record(value, attributes);
  }

  /** Starts the periodic readers' timers. */
  begin(): void {
    for (const r of this.#push) r.begin();
  }

  /** The current state, without series no source reports any more. */
  async collect(): Promise<ResourceMetrics> {
    const { resourceMetrics } = await this.#pull.collect();
    return this.#filter(resourceMetrics);
  }

  /** Makes every push exporter export now. */
  async flush(): Promise<void> {
    await Promise.allSettled(this.#push.map((r) => r.forceFlush()));
  }

  /** Final export (when begun) and release. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown().catch(() => {});
  }
}
