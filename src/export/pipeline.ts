/**
 * The export pipeline: takes each source's samples, keeps them in OTel
 * instruments, and serves or pushes them through the configured exporters.
 * @module
 */
import { diag, type DiagLogger, DiagLogLevel } from "@opentelemetry/api";
import { defaultResource, type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import { errorMessage, ExportError, type Logger, type Platform, type Sample } from "../core/mod.ts";
import { safeUrl, within } from "./_private.ts";
import { type ExporterConfig, exporterName, type ResourceConfig } from "./config.ts";
import { ConsoleExporter } from "./console_exporter.ts";
import { ExporterStats, type ExporterStatus } from "./exporter_status.ts";
import { OtelGeneration, type PushSpec } from "./otel_state.ts";
import { createOtlpExporter, describeOtlpError, otlpTimeout } from "./otlp_exporter.ts";
import { PrometheusEndpoint } from "./prometheus_exporter.ts";
import { RetryQueue } from "./retry_queue.ts";
import { serializePrometheus } from "./prometheus_serializer.ts";
import { type RejectedSample, SeriesStore } from "./series_store.ts";

/** Options of {@linkcode createExportPipeline}. */
export interface ExportPipelineOptions {
  exporters: ExporterConfig[];
  resource: ResourceConfig;
  platform: Platform;
  logger: Logger;
  /** Sink of the console exporter (the CLI passes stdout). @default {logger.info} */
  writeConsole?: (line: string) => void;
  /** Bound of `stop()`, in ms. @default {5000} */
  stopTimeout?: number;
  /** Live series one metric may have; more are rejected. @default {10000} */
  maxSeriesPerMetric?: number;
  /**
   * Metrics that may have live series at once; a sample of any other metric
   * is rejected. Metrics without live series are dropped when the OTel state
   * is rebuilt (see `compactAfter`).
   * @default {10000}
   */
  maxMetrics?: number;
  /**
   * Series the OTel SDK may remember after no source reports them (it never
   * forgets on its own) before its state is rebuilt; at least the live count.
   * @default {10000}
   */
  compactAfter?: number;
}

/** The size of the pipeline's state, for `/status`-like inspection and tests. */
export interface PipelineInspection {
  /** Metrics defined, each an OTel instrument of the current generation. */
  metrics: number;
  /** Metrics with live series. */
  activeMetrics: number;
  /** Series some source reports (histograms: recorded since the last rebuild). */
  liveSeries: number;
  /** Series the OTel SDK remembers although no source reports them. */
  deadSeries: number;
  /** Instruments of the current OTel generation. */
  instruments: number;
  /** Rebuilds of the OTel state so far. */
  rebuilds: number;
}

/** What `write` did not take. */
export interface WriteResult {
  rejected: RejectedSample[];
}

/** The export layer as the agent and CLI see it. */
export interface ExportPipeline {
  /** Binds the Prometheus listeners (a `ConnectError` names the taken `host:port`) and starts the periodic exporters. */
  start(): Promise<void>;
  /**
   * Replaces `source`'s gauge, counter and up-down-counter series with
   * `samples` (an empty batch clears them) and records histogram samples.
   * Never throws; unusable samples come back with a reason.
   */
  write(source: string, samples: readonly Sample[]): WriteResult;
  /** The current state as Prometheus text. */
  prometheusText(): Promise<string>;
  /** Makes the OTLP and console exporters export now. */
  flush(): Promise<void>;
  /** Final export (if started), closes listeners; bounded by `stopTimeout`; safe to call twice. */
  stop(): Promise<void>;
  status(): ExporterStatus[];
  /** How much state the pipeline holds: metrics, series, OTel instruments. */
  inspect(): PipelineInspection;
  /** Memory pressure: retry queues keep a quarter of their capacity. */
  shrink(): void;
  /** Pressure gone: full capacity again. */
  relieve(): void;
  /** Listeners actually bound (port 0 resolved), after `start()`. */
  readonly endpoints: { name: string; url: string }[];
}

/** Forwards OTel's own warnings to our logger; one owner at a time (diag is global). */
let diagOwner: object | undefined;

function installDiag(logger: Logger): object {
  const token = {};
  const line = (level: "warn" | "error") => (message: string, ...args: unknown[]) => {
    // Export failures and timeouts are reported by ExporterStats already, as one clean line.
    if (message.includes("PeriodicExportingMetricReader") || message.includes('"stack"')) return;
    const detail = args.map((
      a,
    ) => (a instanceof Error ? a.message : typeof a === "string" ? a : "")).filter(Boolean);
    logger[level](message, detail.length ? { detail: detail.join(" ") } : undefined);
  };
  const sink: DiagLogger = {
    error: line("error"),
    warn: line("warn"),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(sink, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  diagOwner = token;
  return token;
}

function uninstallDiag(token: object): void {
  if (diagOwner !== token) return;
  diag.disable();
  diagOwner = undefined;
}

function buildResource(config: ResourceConfig, platform: Platform): Resource {
  const attrs: Record<string, string> = { "host.name": platform.hostname(), ...config.attributes };
  attrs["service.name"] = config.service_name;
  if (config.service_namespace) attrs["service.namespace"] = config.service_namespace;
  return defaultResource().merge(resourceFromAttributes(attrs));
}

function positiveInteger(key: string, value: number): number {
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new TypeError(
    `Cannot create the export pipeline as '${key}' must be a positive integer: current value is ${
      JSON.stringify(value) ?? String(value)
    }`,
  );
}

/**
 * Builds the pipeline. Nothing listens or exports before `start()`, but
 * `write` and `prometheusText` work at once (as `sextant once` needs).
 *
 * @example Serving Prometheus on a free port
 * ```ts
 * const pipeline = createExportPipeline({
 *   exporters: [{ type: "prometheus", listen: "127.0.0.1:0", path: "/metrics" }],
 *   resource: resourceSchema.parse({}),
 *   platform,
 *   logger,
 * });
 * await pipeline.start();
 * pipeline.write("db", [{ name: "db.users", value: 3, type: "gauge", attributes: {}, timestamp: Date.now() }]);
 * console.log(pipeline.endpoints[0].url);
 * await pipeline.stop();
 * ```
 */
export function createExportPipeline(opts: ExportPipelineOptions): ExportPipeline {
  const names = new Set<string>();
  for (const e of opts.exporters) {
    const name = exporterName(e);
    if (names.has(name)) {
      throw new TypeError(
        `Cannot create the export pipeline as exporter names must be unique: current value is ${
          JSON.stringify(name)
        } twice`,
      );
    }
    names.add(name);
  }
  const stopTimeout = opts.stopTimeout ?? 5000;
  const compactAfter = positiveInteger("compactAfter", opts.compactAfter ?? 10_000);
  const logger = opts.logger;
  const writeConsole = opts.writeConsole ?? ((line: string) => logger.info(line));
  const store = new SeriesStore({
    maxSeriesPerMetric: positiveInteger("maxSeriesPerMetric", opts.maxSeriesPerMetric ?? 10_000),
    maxMetrics: positiveInteger("maxMetrics", opts.maxMetrics ?? 10_000),
  });
  const resource = buildResource(opts.resource, opts.platform);

  const stats: ExporterStats[] = [];
  const prometheus: PrometheusEndpoint[] = [];
  const push: PushSpec[] = [];
  const queues: RetryQueue[] = [];
  /** The retry queues by exporter name, for the count of what is left at stop. */
  const named: { name: string; retry: RetryQueue }[] = [];
  for (const config of opts.exporters) {
    const name = exporterName(config);
    const log = logger.child(name);
    switch (config.type) {
      case "prometheus": {
        const s = new ExporterStats(name, config.type, undefined, log);
        stats.push(s);
        prometheus.push(
          new PrometheusEndpoint(config, {
            platform: opts.platform,
            logger: log,
            stats: s,
            render: () => text(),
          }),
        );
        break;
      }
      case "otlp": {
        const s = new ExporterStats(name, config.type, safeUrl(config.endpoint), log);
        stats.push(s);
        const retry = config.retry_buffer > 0
          ? new RetryQueue({
            capacity: config.retry_buffer,
            initial: config.retry_initial,
            max: config.retry_max,
            onDrop: (points) => s.dropped(points),
          })
          : undefined;
        s.queue = retry;
        if (retry) {
          queues.push(retry);
          named.push({ name, retry });
        }
        push.push({
          retry,
          stats: s,
          intervalMs: config.interval,
          timeoutMs: otlpTimeout(config),
          create: () => createOtlpExporter(config),
          describe: (err) => describeOtlpError(err, config),
        });
        break;
      }
      case "console": {
        const s = new ExporterStats(name, config.type, undefined, log);
        stats.push(s);
        push.push({
          stats: s,
          intervalMs: config.interval,
          timeoutMs: config.interval,
          create: () => new ConsoleExporter(config.format, writeConsole),
          describe: (err) => errorMessage(err),
        });
        break;
      }
    }
  }

  let generation = new OtelGeneration(resource, store, push);
  let rebuilds = 0;
  const diagToken = installDiag(logger.child("otel"));
  let state = "new" as "new" | "starting" | "started" | "stopped";
  let stopping: Promise<void> | undefined;
  const retiring = new Set<Promise<void>>();
  const hooks = {
    define: (def: Parameters<OtelGeneration["define"]>[0]) => generation.define(def),
    record: (...a: Parameters<OtelGeneration["record"]>) => generation.record(...a),
  };

  async function text(): Promise<string> {
    return serializePrometheus(await generation.collect());
  }

  /**
   * Rebuilds the SDK state once it remembers more dead series than live ones
   * (and more than `compactAfter`); metrics left without series go with them.
   */
  function maybeCompact(): void {
    const { live, dead } = store.counts();
    if (dead <= Math.max(compactAfter, live)) return;
    const old = generation;
    const dropped = store.compact();
    generation = new OtelGeneration(resource, store, push);
    rebuilds++;
    if (state === "started") generation.begin();
    const retired = old.shutdown().finally(() => retiring.delete(retired));
    retiring.add(retired);
    logger.info("rebuilt OTel state to forget series no source reports", {
      dead_series: dead,
      live_series: live,
      dropped_metrics: dropped,
    });
  }

  return {
    async start() {
      if (state === "stopped") {
        throw new ExportError("pipeline", "Cannot start the export pipeline as it was stopped");
      }
      if (state !== "new") return;
      state = "starting";
      try {
        for (const p of prometheus) await p.start();
      } catch (err) {
        await Promise.allSettled(prometheus.map((p) => p.close()));
        if (state === "starting") state = "new";
        throw err;
      }
      if (state !== "starting") {
        // stop() ran while the listeners were binding: do not leave one open.
        await Promise.allSettled(prometheus.map((p) => p.close()));
        throw new ExportError("pipeline", "Cannot start the export pipeline as it was stopped");
      }
      generation.begin();
      state = "started";
    },

    write(source, samples) {
      if (state === "stopped") {
        return {
          rejected: samples.map((sample) => ({ sample, reason: "the export pipeline is stopped" })),
        };
      }
      let rejected: RejectedSample[];
      try {
        rejected = store.write(source, Array.isArray(samples) ? samples : [], hooks);
        maybeCompact();
      } catch (err) {
        // The store validates everything it touches; this is a bug, not bad input.
        logger.error("write failed", { source, error: errorMessage(err) });
        rejected = samples.map((sample) => ({
          sample,
          reason: `internal error: ${errorMessage(err)}`,
        }));
      }
      return { rejected };
    },

    prometheusText() {
      if (state === "stopped") {
        return Promise.reject(
          new ExportError("pipeline", "Cannot render metrics as the export pipeline is stopped"),
        );
      }
      return text();
    },

    async flush() {
      if (state === "stopped") return;
      for (const q of queues) q.expedite();
      await generation.flush();
    },

    stop() {
      stopping ??= (async () => {
        const wasStarted = state === "started";
        state = "stopped";
        for (const q of queues) q.expedite();
        const work = Promise.allSettled([
          ...prometheus.map((p) => p.close()),
          generation.shutdown(),
          ...retiring,
        ]);
        const finished = await within(work, stopTimeout);
        if (!finished) {
          logger.warn("export pipeline stop timed out; abandoning pending exports", {
            timeout_ms: stopTimeout,
          });
        } else if (wasStarted) {
          logger.debug("export pipeline stopped");
        }
        // What the final drain could not deliver is given up: counted as dropped, and said.
        for (const { name, retry } of named) {
          const left = retry.abandon();
          if (left.batches === 0) continue;
          logger.warn("retry queue not delivered at shutdown; dropped", {
            exporter: name,
            batches: left.batches,
            points: left.points,
          });
        }
        uninstallDiag(diagToken);
      })();
      return stopping;
    },

    status() {
      return stats.map((s) => s.snapshot());
    },

    shrink() {
      for (const q of queues) q.shrink();
    },

    relieve() {
      for (const q of queues) q.relieve();
    },

    inspect() {
      const { live, dead } = store.counts();
      const { defined, active } = store.metricCounts();
      return {
        metrics: defined,
        activeMetrics: active,
        liveSeries: live,
        deadSeries: dead,
        instruments: generation.instruments,
        rebuilds,
      };
    },

    get endpoints() {
      return prometheus.flatMap((p) => (p.url ? [{ name: p.name, url: p.url }] : []));
    },
  };
}
