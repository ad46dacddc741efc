import { assertEquals } from "../../tests/assert.ts";
import type { ExporterStatus } from "../export/mod.ts";
import { rankBottlenecks } from "./bottlenecks.ts";
import type { ProcessHealth } from "./monitor.ts";
import type { SourceStatus } from "./runner.ts";

function src(
  name: string,
  over: Partial<SourceStatus> = {},
  recent: Partial<SourceStatus["recent"]> = {},
): SourceStatus {
  return {
    name,
    type: "test",
    interval_ms: 1000,
    timeout_ms: 1000,
    state: "ok",
    started: true,
    collections: 10,
    failures: 0,
    timeouts: 0,
    overruns: 0,
    last_samples: 1,
    last_errors: [],
    recent_durations_ms: [10],
    skipped_open: 0,
    dropped_samples: 0,
    series: 1,
    ...over,
    recent: {
      window_ms: 30_000,
      runs: 10,
      overruns: 0,
      timeouts: 0,
      dropped_samples: 0,
      ...recent,
    },
  };
}

const calm: ProcessHealth = {
  event_loop_lag_ms: { last: 0, max: 1, p99: 1 },
  event_loop_busy: 0,
  memory: { level: "ok", measure: "rss", bytes: 1, soft_events: 0, hard_events: 0 },
};

Deno.test("rankBottlenecks ranks by time used and gives one hint per problem", () => {
  const { bottlenecks, hints } = rankBottlenecks(
    [
      src("fast"),
      src("slow", { recent_durations_ms: [600, 800], overruns: 0 }),
      src("pooled", {
        recent_durations_ms: [300],
        details: { pool: { size: 2, in_use: 2, waiting: 4 } },
      }),
      src("stuck", { recent_durations_ms: [50], timeouts: 6, overruns: 3 }, {
        timeouts: 6,
        overruns: 3,
      }),
      // Longer runs than "pooled", but a tenth of its interval: it uses less time.
      src("hourly", { recent_durations_ms: [400], interval_ms: 4000 }),
    ],
    [],
    calm,
  );
  assertEquals(bottlenecks.map((b) => b.source), ["slow", "pooled", "hourly", "stuck", "fast"]);
  assertEquals(bottlenecks[0].interval_share, 0.7);
  assertEquals(bottlenecks[0].hints, [
    "takes more than half of its interval: raise interval before it overruns",
  ]);
  assertEquals(bottlenecks[1].pool_waiting, 4);
  assertEquals(bottlenecks[1].hints, [
    "the connection pool is saturated (4 queries waiting now): raise the pool size",
  ]);
  assertEquals(bottlenecks[3].hints, [
    "overran its 1000 ms interval 3 time(s) in the last 30 s: raise interval or speed the source up",
    "timed out in 6 of 10 runs in the last 30 s: raise timeout or check the target",
  ]);
  assertEquals(bottlenecks[4].hints, []);
  assertEquals(bottlenecks[4].hint, undefined);
  assertEquals(hints, []);
});

Deno.test("rankBottlenecks forgets overruns, timeouts and drops older than the recent window", () => {
  const { bottlenecks } = rankBottlenecks(
    [src("old", { overruns: 1, timeouts: 9, collections: 10, dropped_samples: 50 })],
    [],
    calm,
  );
  assertEquals(bottlenecks[0].hints, []);
});

Deno.test("rankBottlenecks flags a pool by its recent average wait and acquire timeouts", () => {
  const { bottlenecks } = rankBottlenecks(
    [
      src("db", { details: { pool: { waiting: 0 } } }, {
        pool: { acquires: 4, acquire_wait_ms: 1200, acquire_timeouts: 1 },
      }),
      src("calm", { details: { pool: { waiting: 0 } } }, {
        pool: { acquires: 4, acquire_wait_ms: 8, acquire_timeouts: 0 },
      }),
    ],
    [],
    calm,
  );
  const db = bottlenecks.find((b) => b.source === "db")!;
  assertEquals(db.pool_wait_ms_avg, 300);
  assertEquals(db.hints, [
    "the connection pool is saturated (300 ms average wait in the last 30 s, 1 waits timed out in the last 30 s): raise the pool size",
  ]);
  assertEquals(bottlenecks.find((b) => b.source === "calm")!.hints, []);
});

Deno.test("rankBottlenecks hints at a busy event loop, memory pressure and a full retry queue", () => {
  const exporters: ExporterStatus[] = [{
    name: "otlp",
    type: "otlp",
    exports: 1,
    failures: 9,
    queue: { size: 9, capacity: 10, points: 90, dropped_batches: 0, dropped_points: 0, retried: 0 },
  }];
  const { hints } = rankBottlenecks([], exporters, {
    event_loop_lag_ms: { last: 150, max: 400, p99: 300 },
    event_loop_busy: 0.3,
    memory: { level: "hard", measure: "rss", bytes: 9, soft_events: 1, hard_events: 1 },
  });
  assertEquals(hints.length, 3);
  assertEquals(hints[0].startsWith("event loop lag p99 300 ms"), true);
  assertEquals(
    hints[1],
    "memory above the hard limit: new series are refused and the largest state was dropped",
  );
  assertEquals(hints[2].startsWith('exporter "otlp" retry queue 9/10'), true);
});
