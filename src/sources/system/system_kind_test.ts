import { assert, assertEquals, waitFor } from "../../../tests/assert.ts";
import { parse as parseToml } from "smol-toml";
import { CollectError, type Platform } from "../../core/mod.ts";
import { platform } from "../../runtime/mod.ts";
import { systemKind } from "./mod.ts";
import {
  configFor,
  RecordingAccumulator,
  schemaIssues,
  testDeps,
} from "../../../tests/support/source_harness.ts";

const ALL = [
  "cpu.utilization",
  "load.15m",
  "load.1m",
  "load.5m",
  "memory.available",
  "memory.limit",
  "memory.used",
  "memory.utilization",
  "process.cpu.utilization",
  "process.heap_used",
  "process.rss",
  "process.uptime",
  "uptime",
];

function cpuBusy(): number {
  return platform.cpuTimes().reduce((sum, t) => sum + t.user + t.nice + t.sys + t.irq, 0);
}

/** Burns CPU until the host's busy-time counters move (they tick every 10 ms or so). */
async function untilCpuTimesMove(): Promise<void> {
  const before = cpuBusy();
  await waitFor(() => {
    const end = performance.now() + 5;
    while (performance.now() < end) { /* spin */ }
    return cpuBusy() > before;
  }, "the CPU busy counters to move");
}

function create(table: Record<string, unknown>, overrides: Partial<Platform> = {}) {
  const deps = testDeps();
  return systemKind.create(configFor(systemKind, table), {
    ...deps,
    platform: { ...platform, ...overrides },
  });
}

Deno.test("systemKind reports every group from the real host after start", async () => {
  const source = create({ name: "host" });
  const signal = new AbortController().signal;
  await source.start(signal);
  await untilCpuTimesMove();
  const acc = new RecordingAccumulator();
  await source.collect(acc, signal);
  await source.stop();
  await source.stop();
  assertEquals(acc.errors, []);
  assertEquals(acc.samples.map((s) => s.name).sort(), ALL);
  assert(
    acc.samples.every((s) => s.type === "gauge" && Number.isFinite(s.value) && s.value >= 0),
  );
  const units = Object.fromEntries(acc.samples.map((s) => [s.name, s.unit]));
  assertEquals(units["memory.limit"], "By");
  assertEquals(units["cpu.utilization"], "%");
  assertEquals(units["uptime"], "s");
  for (const p of ["cpu.utilization", "memory.utilization", "process.cpu.utilization"]) {
    assert(acc.value(p)! <= 100, `${p} = ${acc.value(p)}`);
  }
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const totalKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)![1]);
  assertEquals(acc.value("memory.limit"), totalKb * 1024);
  assertEquals(
    acc.value("memory.used"),
    acc.value("memory.limit")! - acc.value("memory.available")!,
  );
  assert(acc.value("process.rss")! > 1_000_000);
  assert(acc.value("process.heap_used")! > 0);
  const hostUptime = Number((await Deno.readTextFile("/proc/uptime")).split(" ")[0]);
  assert(Math.abs(acc.value("uptime")! - hostUptime) < 5);
  assert(acc.value("process.uptime")! > 0 && acc.value("process.uptime")! < hostUptime);
  const [l1] = (await Deno.readTextFile("/proc/loadavg")).split(" ").map(Number);
  assert(Math.abs(acc.value("load.1m")! - l1) < 2);
});

Deno.test("systemKind measures CPU utilization against the previous collection", async () => {
  const source = create({ collect: ["cpu"] });
  const signal = new AbortController().signal;
  const first = new RecordingAccumulator();
  await source.collect(first, signal);
  assertEquals([first.samples, first.errors], [[], []], "no delta without start");
  await untilCpuTimesMove();
  const second = new RecordingAccumulator();
  await source.collect(second, signal);
  assertEquals(second.samples.map((s) => s.name), ["cpu.utilization"]);
  assert(second.value("cpu.utilization")! > 0, "the spin shows as CPU use");
});

Deno.test("systemKind collects only the configured groups", async () => {
  const source = create({ collect: ["memory", "uptime", "memory"] });
  const acc = new RecordingAccumulator();
  await source.start(new AbortController().signal);
  await source.collect(acc, new AbortController().signal);
  assertEquals(acc.samples.map((s) => s.name), [
    "memory.limit",
    "memory.available",
    "memory.used",
    "memory.utilization",
    "uptime",
  ]);
});

Deno.test("systemKind reports a failing group as its own error and keeps the others", async () => {
  const source = create({ name: "host", collect: ["load", "uptime", "cpu"] }, {
    loadavg: () => {
      throw new Error("no /proc/loadavg");
    },
    cpuTimes: () => [],
  });
  const acc = new RecordingAccumulator();
  await source.start(new AbortController().signal);
  await source.collect(acc, new AbortController().signal);
  assertEquals(acc.samples.map((s) => s.name), ["uptime"]);
  assertEquals(acc.errors.map((e) => e.item), ["load", "cpu"]);
  assert(acc.errors.every((e) => e.err instanceof CollectError && e.err.source === "host"));
  assertEquals(acc.errors.map((e) => (e.err as Error).message), [
    `system source "host": cannot read load: no /proc/loadavg`,
    `system source "host": cannot read cpu: the platform reports no CPU times`,
  ]);
});

Deno.test("systemKind schema rejects unknown groups listing the valid ones", () => {
  assertEquals(schemaIssues(systemKind, { collect: ["cpu", "disk"] }), [
    `collect.1: expected one of "cpu", "memory", "load", "uptime", "process"`,
  ]);
  assertEquals(schemaIssues(systemKind, { collect: [] }), [
    "collect: expected at least one group",
  ]);
  assertEquals(configFor(systemKind, {}).collect, [
    "cpu",
    "memory",
    "load",
    "uptime",
    "process",
  ]);
});

Deno.test("systemKind sample.toml parses and validates", async () => {
  const doc = parseToml(await Deno.readTextFile(new URL("./sample.toml", import.meta.url))) as {
    custom_metrics: { sources: Record<string, unknown>[] };
  };
  assertEquals(doc.custom_metrics.sources.length, 1);
  assertEquals(schemaIssues(systemKind, doc.custom_metrics.sources[0]), []);
  const source = systemKind.create(
    configFor(systemKind, doc.custom_metrics.sources[0]),
    testDeps(),
  );
  const acc = new RecordingAccumulator();
  await source.collect(acc, new AbortController().signal);
  assertEquals(acc.errors, []);
});

Deno.test("systemKind README shows sample.toml", async () => {
  const sample = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  assert(readme.includes(sample.slice(sample.indexOf("[[custom_metrics.sources]]")).trim()));
});
