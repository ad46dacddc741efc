import { assert, assertEquals, assertStringIncludes, waitFor } from "../../../tests/assert.ts";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CollectError } from "../../core/mod.ts";
import { createExportPipeline, resourceSchema } from "../../export/mod.ts";
import { platform } from "../../runtime/mod.ts";
import { processKind } from "./mod.ts";
import { assertPromtoolClean } from "../../../tests/support/promtool.ts";
import {
  configFor,
  RecordingAccumulator,
  schemaIssues,
  testDeps,
} from "../../../tests/support/source_harness.ts";

const signal = () => AbortSignal.timeout(10_000);

/** A fake /proc with processes described by `procs`. */
async function fakeProc(
  procs: { pid: number; comm: string; cmdline?: string; ticks?: number; noIo?: boolean }[],
): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "sextant-proc-"));
  await writeFile(join(root, "uptime"), "1000.00 900.00\n");
  for (const p of procs) {
    const dir = join(root, String(p.pid));
    await mkdir(join(dir, "fd"), { recursive: true });
    await writeFile(join(dir, "comm"), `${p.comm}\n`);
    await writeFile(join(dir, "cmdline"), (p.cmdline ?? p.comm).split(" ").join("\0") + "\0");
    // Fields 3.. after "pid (comm) ": state ppid ... utime(14) stime(15) ... threads(20) ... starttime(22) vsize(23) rss(24)
    const f = Array(50).fill("0");
    f[0] = "S";
    f[14 - 3] = String(p.ticks ?? 300);
    f[15 - 3] = "100";
    f[20 - 3] = "3";
    f[22 - 3] = "50000"; // started at 500 s after boot: lived 500 s
    f[23 - 3] = "1048576";
    f[24 - 3] = "10";
    await writeFile(join(dir, "stat"), `${p.pid} (${p.comm}) ${f.join(" ")}\n`);
    await writeFile(
      join(dir, "status"),
      `Name:\t${p.comm}\nVmRSS:\t    2048 kB\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t2\n`,
    );
    if (!p.noIo) await writeFile(join(dir, "io"), "rchar: 1\nread_bytes: 4096\nwrite_bytes: 512\n");
    for (const fd of ["0", "1", "2"]) await writeFile(join(dir, "fd", fd), "");
  }
  return root;
}

Deno.test("process source sums the figures of matching processes, case-insensitively", async () => {
  const root = await fakeProc([
    { pid: 101, comm: "M8MulPrc" },
    { pid: 102, comm: "worker", cmdline: "/opt/m8mulprc/bin/worker --x" },
    { pid: 103, comm: "other" },
  ]);
  try {
    const source = processKind.create(
      configFor(processKind, { patterns: ["m8mulprc"], proc_root: root }),
      testDeps(),
    );
    const acc = new RecordingAccumulator();
    await source.start(signal());
    await source.collect(acc, signal());
    assertEquals(acc.errors, []);
    assertEquals(acc.value("processes"), 2);
    assertEquals(acc.value("memory.rss"), 2 * 2048 * 1024);
    assertEquals(acc.value("memory.virtual"), 2 * 1048576);
    assertEquals(acc.value("threads"), 6);
    assertEquals(acc.value("open_fds"), 6);
    assertEquals(acc.value("disk.read_bytes"), 8192);
    assertEquals(acc.value("disk.write_bytes"), 1024);
    // 400 ticks = 4 s of CPU over 500 s of life, twice.
    assertEquals(acc.value("cpu.utilization"), 1.6);
    const cs = acc.samples.filter((s) => s.name === "context_switches");
    assertEquals(cs.map((s) => [s.attributes?.kind, s.value]), [["voluntary", 14], [
      "involuntary",
      4,
    ]]);
    assertEquals(source.details?.(), { matched: 2, permission_denied: {} });
  } finally {
    await rm(root, { recursive: true });
  }
});

Deno.test("process source reports 0 processes and nothing else when nothing matches", async () => {
  const root = await fakeProc([{ pid: 5, comm: "bash" }]);
  try {
    const source = processKind.create(
      configFor(processKind, { patterns: ["^nginx$"], proc_root: root }),
      testDeps(),
    );
    const acc = new RecordingAccumulator();
    await source.collect(acc, signal());
    assertEquals(acc.samples.map((s) => [s.name, s.value]), [["processes", 0]]);
    assertEquals(acc.errors, []);
  } finally {
    await rm(root, { recursive: true });
  }
});

Deno.test("process source reports a missing /proc as one clear error", async () => {
  const source = processKind.create(
    configFor(processKind, { patterns: ["x"], proc_root: "/nonexistent-proc" }),
    testDeps(),
  );
  const acc = new RecordingAccumulator();
  await source.collect(acc, signal());
  assertEquals(acc.samples, []);
  assert(acc.errors[0].err instanceof CollectError);
  assertStringIncludes(
    (acc.errors[0].err as Error).message,
    'process source "test": cannot list /nonexistent-proc (the process source needs Linux /proc)',
  );
});

Deno.test("process source measures CPU of real processes between collections", async () => {
  const tag = `sextant-proc-test-${Math.floor(Math.random() * 1e9)}`;
  // A shell loop burning CPU, and an idle sleeper, both recognisable by their command line.
  const busy = new Deno.Command("sh", {
    args: ["-c", `while :; do :; done # ${tag}`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const idle = new Deno.Command("sh", { args: ["-c", `sleep 300 # ${tag}`], stdout: "null" })
    .spawn();
  try {
    const source = processKind.create(
      configFor(processKind, { patterns: [tag.toUpperCase()] }),
      testDeps(),
    );
    await source.start(signal());
    const first = new RecordingAccumulator();
    await source.collect(first, signal());
    assertEquals(first.value("processes"), 2);
    assert(first.value("memory.rss")! > 0);
    assert(first.value("threads")! >= 2);
    assert(first.value("open_fds")! >= 2);
    await waitFor(async () => {
      const acc = new RecordingAccumulator();
      await source.collect(acc, signal());
      return acc.value("cpu.utilization")! > 10;
    }, "the busy loop to show CPU use");
  } finally {
    busy.kill("SIGKILL");
    idle.kill("SIGKILL");
    await busy.status;
    await idle.status;
  }
});

Deno.test("process source schema rejects bad patterns and groups", () => {
  assertEquals(schemaIssues(processKind, { patterns: [] }), [
    "patterns: expected at least one pattern",
  ]);
  const bad = schemaIssues(processKind, { patterns: ["("] });
  assertEquals(bad.length, 1);
  assertStringIncludes(bad[0], "patterns.0: expected a regular expression: ");
  assertEquals(schemaIssues(processKind, { patterns: ["x"], collect: ["network"] }), [
    'collect.0: expected one of "cpu", "memory", "threads", "fds", "io", "context_switches"',
  ]);
});

Deno.test("process sample.toml validates", async () => {
  const text = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const doc = parseToml(text) as { custom_metrics: { sources: Record<string, unknown>[] } };
  for (const table of doc.custom_metrics.sources) {
    const { type: _, ...rest } = table;
    assertEquals(schemaIssues(processKind, rest), []);
  }
});

Deno.test("process source output passes promtool", async (t) => {
  const root = await fakeProc([{ pid: 7, comm: "app" }]);
  try {
    const source = processKind.create(
      configFor(processKind, { patterns: ["app"], proc_root: root }),
      testDeps(),
    );
    const acc = new RecordingAccumulator();
    await source.collect(acc, signal());
    const pipeline = createExportPipeline({
      exporters: [],
      resource: resourceSchema.parse({}),
      platform,
      logger: testDeps().logger,
    });
    const now = Date.now();
    const { rejected } = pipeline.write(
      "app",
      acc.samples.map((s) => ({
        name: `app.${s.name}`,
        value: s.value,
        type: s.type ?? "gauge",
        attributes: s.attributes ?? {},
        timestamp: now,
        ...(s.unit ? { unit: s.unit } : {}),
      })),
    );
    assertEquals(rejected, []);
    const text = await pipeline.prometheusText();
    await pipeline.stop();
    assertStringIncludes(text, "app_processes 1");
    await assertPromtoolClean(t, text);
  } finally {
    await rm(root, { recursive: true });
  }
});
