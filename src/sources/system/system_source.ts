/**
 * Reads host and process facts from the platform each collection. CPU
 * utilizations are deltas against the previous collection (or `start`).
 * @module
 */
import {
  type Accumulator,
  CollectError,
  type CommonSourceConfig,
  errorMessage,
  type Platform,
  type SampleInput,
  type Source,
  type SourceDeps,
} from "../../core/mod.ts";
import type { SystemFields, SystemGroup } from "./system_kind.ts";

interface CpuSnapshot {
  /** Milliseconds, summed over CPUs. */
  busy: number;
  total: number;
}

interface ProcessSnapshot {
  /** Process CPU time, microseconds. */
  cpu: number;
  /** Monotonic wall time, milliseconds. */
  wall: number;
}

/** A running `system` source. */
export class SystemSource implements Source {
  readonly type = "system";
  readonly name: string;
  #groups: SystemGroup[];
  #platform: Platform;
  #cpu?: CpuSnapshot;
  #proc?: ProcessSnapshot;

  constructor(config: SystemFields & CommonSourceConfig, deps: SourceDeps) {
    this.name = config.name;
    this.#groups = [...new Set(config.collect)];
    this.#platform = deps.platform;
  }

  /**
   * Takes the CPU snapshots the first collection's utilizations are measured
   * against. A failure here is left for `collect` to report per group, so that
   * it does not hold back the other groups.
   */
  start(): Promise<void> {
    try {
      if (this.#groups.includes("cpu")) this.#cpu = this.#cpuSnapshot();
    } catch { /* reported by collect */ }
    if (this.#groups.includes("process")) this.#proc = this.#processSnapshot();
    return Promise.resolve();
  }

  collect(acc: Accumulator): Promise<void> {
    for (const group of this.#groups) {
      try {
        for (const s of this.#read(group)) acc.add({ ...s, type: "gauge" });
      } catch (err) {
        acc.addError(
          new CollectError(
            this.name,
            `system source ${JSON.stringify(this.name)}: cannot read ${group}: ${
              errorMessage(err)
            }`,
            {
              cause: err,
              query: group,
            },
          ),
          group,
        );
      }
    }
    return Promise.resolve();
  }

  #read(group: SystemGroup): SampleInput[] {
    const p = this.#platform;
    switch (group) {
      case "cpu": {
        const now = this.#cpuSnapshot();
        const prev = this.#cpu;
        this.#cpu = now;
        const total = prev ? now.total - prev.total : 0;
        // Without a previous snapshot, or within one clock tick, there is no delta yet.
        if (!prev || total <= 0) return [];
        return [{
          name: "cpu.utilization",
          value: percent((now.busy - prev.busy) / total),
          unit: "%",
        }];
      }
      case "memory": {
        const m = p.systemMemory();
        const used = Math.max(0, m.total - m.available);
        return [
          { name: "memory.limit", value: m.total, unit: "By" },
          { name: "memory.available", value: m.available, unit: "By" },
          { name: "memory.used", value: used, unit: "By" },
          ...(m.total > 0
            ? [{ name: "memory.utilization", value: percent(used / m.total), unit: "%" }]
            : []),
        ];
      }
      case "load": {
        const [l1, l5, l15] = p.loadavg();
        return [
          { name: "load.1m", value: l1, unit: "1" },
          { name: "load.5m", value: l5, unit: "1" },
          { name: "load.15m", value: l15, unit: "1" },
        ];
      }
      case "uptime":
        return [{ name: "uptime", value: p.uptime(), unit: "s" }];
      case "process": {
        const mem = p.memoryUsage();
        const out: SampleInput[] = [
          { name: "process.rss", value: mem.rss, unit: "By" },
          { name: "process.heap_used", value: mem.heapUsed, unit: "By" },
          { name: "process.uptime", value: Math.round(performance.now()) / 1000, unit: "s" },
        ];
        const now = this.#processSnapshot();
        const prev = this.#proc;
        this.#proc = now;
        const wallUs = prev ? (now.wall - prev.wall) * 1000 : 0;
        if (prev && wallUs > 0) {
          const cpus = Math.max(1, p.cpuTimes().length);
          out.push({
            name: "process.cpu.utilization",
            value: percent((now.cpu - prev.cpu) / wallUs / cpus),
            unit: "%",
          });
        }
        return out;
      }
    }
  }

  #cpuSnapshot(): CpuSnapshot {
    const times = this.#platform.cpuTimes();
    if (times.length === 0) throw new Error("the platform reports no CPU times");
    let busy = 0;
    let idle = 0;
    for (const t of times) {
      busy += t.user + t.nice + t.sys + t.irq;
      idle += t.idle;
    }
    return { busy, total: busy + idle };
  }

  #processSnapshot(): ProcessSnapshot {
    const u = this.#platform.cpuUsage();
    return { cpu: u.user + u.system, wall: performance.now() };
  }

  /** Nothing to release. Safe to call twice. */
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** A ratio as a percentage in [0, 100], rounded to 0.01. */
function percent(ratio: number): number {
  return Math.round(Math.min(1, Math.max(0, ratio)) * 10_000) / 100;
}
