/**
 * The bottleneck report of `/status` and `sextant status`: sources ranked by
 * the time they use (average duration over interval), with a one-line hint
 * for each problem found (overruns, a large share of the interval, a
 * saturated pool, an open breaker), plus hints about the event loop, memory
 * and the exporters' queues. Counted problems (overruns, timeouts, drops,
 * pool waits) are read over the runner's recent window (`SourceStatus.recent`,
 * the last 30 intervals), so an old incident stops being a problem.
 * @module
 */
import type { ExporterStatus } from "../export/mod.ts";
import type { ProcessHealth } from "./monitor.ts";
import type { SourceStatus } from "./runner.ts";

/** One ranked source. */
export interface Bottleneck {
  source: string;
  avg_duration_ms: number;
  /** Average duration over the interval: the share of its schedule it uses. */
  interval_share: number;
  overruns: number;
  /** Waiters on the source's connection pool, when it reports one (`details().pool.waiting`). */
  pool_waiting?: number;
  /** Average wait for a pooled connection over the recent window, in ms, when it has a pool. */
  pool_wait_ms_avg?: number;
  /** The first hint, in one line (kept for readers of the first `/status` shape). */
  hint?: string;
  hints: string[];
}

/** Event-loop lag p99 above which the loop counts as busy, in ms. */
export const LAG_HINT_MS = 100;
/** Average wait for a pooled connection above which the pool counts as saturated, in ms. */
export const POOL_WAIT_HINT_MS = 50;

function poolWaiting(details: Record<string, unknown> | undefined): number | undefined {
  const pool = details?.pool;
  if (pool && typeof pool === "object") {
    const w = (pool as Record<string, unknown>).waiting;
    if (typeof w === "number") return w;
  }
  return undefined;
}

/**
 * Ranks sources by time used (average collection time over the interval),
 * most first.
 *
 * @example
 * ```ts
 * const { bottlenecks, hints } = rankBottlenecks(sources, exporters, health);
 * ```
 */
export function rankBottlenecks(
  sources: SourceStatus[],
  exporters: ExporterStatus[],
  health: ProcessHealth,
): { bottlenecks: Bottleneck[]; hints: string[] } {
  const r = (n: number, d = 100) => Math.round(n * d) / d;
  const bottlenecks = sources.map((s) => {
    const d = s.recent_durations_ms;
    const avg = d.length ? d.reduce((a, b) => a + b, 0) / d.length : 0;
    const share = avg / s.interval_ms;
    const hints: string[] = [];
    const recent = s.recent;
    const since = `in the last ${Math.round(recent.window_ms / 1000)} s`;
    if (recent.overruns > 0) {
      hints.push(
        `overran its ${s.interval_ms} ms interval ${recent.overruns} time(s) ${since}: raise interval or speed the source up`,
      );
    } else if (share > 0.5) {
      hints.push("takes more than half of its interval: raise interval before it overruns");
    }
    if (recent.timeouts > 0 && recent.timeouts * 2 >= recent.runs) {
      hints.push(
        `timed out in ${recent.timeouts} of ${recent.runs} runs ${since}: raise timeout or check the target`,
      );
    }
    const waiting = poolWaiting(s.details);
    const pool = recent.pool;
    const avgWait = pool && pool.acquires > 0 ? pool.acquire_wait_ms / pool.acquires : undefined;
    const poolProblems: string[] = [];
    if (waiting !== undefined && waiting > 0) poolProblems.push(`${waiting} queries waiting now`);
    if (avgWait !== undefined && avgWait >= POOL_WAIT_HINT_MS) {
      poolProblems.push(`${Math.round(avgWait)} ms average wait ${since}`);
    }
    if (pool && pool.acquire_timeouts > 0) {
      poolProblems.push(`${pool.acquire_timeouts} waits timed out ${since}`);
    }
    if (poolProblems.length > 0) {
      hints.push(
        `the connection pool is saturated (${poolProblems.join(", ")}): raise the pool size`,
      );
    }
    if (s.breaker?.state === "open") {
      hints.push(
        `circuit breaker open after ${s.breaker.consecutive_failures} failures: not called until the cooldown ends`,
      );
    }
    if (recent.dropped_samples > 0) {
      hints.push(
        `${recent.dropped_samples} samples dropped over max_series or under memory pressure ${since}`,
      );
    }
    return {
      source: s.name,
      avg_duration_ms: r(avg),
      interval_share: r(share, 1e4),
      overruns: s.overruns,
      ...(waiting !== undefined ? { pool_waiting: waiting } : {}),
      ...(avgWait !== undefined ? { pool_wait_ms_avg: r(avgWait) } : {}),
      ...(hints.length ? { hint: hints[0] } : {}),
      hints,
    };
  }).sort((a, b) =>
    b.interval_share - a.interval_share || b.avg_duration_ms - a.avg_duration_ms ||
    a.source.localeCompare(b.source)
  );

  const hints: string[] = [];
  if (health.event_loop_lag_ms.p99 >= LAG_HINT_MS) {
    hints.push(
      `event loop lag p99 ${health.event_loop_lag_ms.p99} ms: something blocks it (a large batch, a busy plugin in-process)`,
    );
  }
  if (health.memory.level !== "ok") {
    hints.push(
      `memory above the ${health.memory.level} limit: new series are refused${
        health.memory.level === "hard" ? " and the largest state was dropped" : ""
      }`,
    );
  }
  for (const e of exporters) {
    if (e.queue && e.queue.size > 0 && e.queue.size >= e.queue.capacity * 0.8) {
      hints.push(
        `exporter ${
          JSON.stringify(e.name)
        } retry queue ${e.queue.size}/${e.queue.capacity}: the receiver is failing, oldest data will be dropped`,
      );
    }
  }
  return { bottlenecks, hints };
}
