import { assert, assertEquals, assertMatch, waitFor } from "../../../tests/assert.ts";
import { parse as parseToml } from "smol-toml";
import { CollectError, TimeoutError } from "../../core/mod.ts";
import { commandKind } from "./mod.ts";
import {
  configFor,
  RecordingAccumulator,
  schemaIssues,
  testDeps,
} from "../../../tests/support/source_harness.ts";

async function collectOnce(
  table: Record<string, unknown>,
  options: { signal?: AbortSignal; baseDir?: string } = {},
) {
  const deps = testDeps(options.baseDir);
  const config = configFor(commandKind, table);
  assertEquals(commandKind.check!(config), []);
  for (const s of commandKind.secrets!(config)) deps.redactor.add(s);
  const source = commandKind.create(config, deps);
  const acc = new RecordingAccumulator();
  const signal = options.signal ?? new AbortController().signal;
  await source.start(signal);
  await source.collect(acc, signal);
  await source.stop();
  return { acc, deps };
}

function messages(acc: RecordingAccumulator): string[] {
  return acc.errors.map((e) => (e.err as Error).message);
}

/** Settles like `p`, or rejects when it takes longer than `ms` (a hang fails the test instead of stalling it). */
async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, ...]. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) processes whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const f = procStat(Number(e.name));
    if (f && f[0] !== "Z" && Number(f[2]) === pgid) out.push(Number(e.name));
  }
  return out;
}

Deno.test("commandKind reads a number printed by an argv command", async () => {
  const { acc } = await collectOnce({
    command: ["printf", "42\\n"],
    format: "number",
    metric: "answer",
  });
  assertEquals(acc.errors, []);
  assertEquals(acc.samples, [{ name: "answer", value: 42 }]);
});

Deno.test("commandKind runs a string through /bin/sh -c when shell = true", async () => {
  const { acc } = await collectOnce({ command: "echo $((6 * 7)) | tr -d ' '", shell: true });
  assertEquals(acc.samples, [{ name: "value", value: 42 }]);
});

Deno.test("commandKind auto-detects Prometheus text and JSON lines", async () => {
  const prom = await collectOnce({
    command: ["printf", '# TYPE jobs_total counter\\njobs_total{q="a"} 3\\n'],
  });
  assertEquals(prom.acc.samples, [{
    name: "jobs_total",
    value: 3,
    type: "counter",
    attributes: { q: "a" },
  }]);
  const json = await collectOnce({
    command: ["printf", '{"name":"a","value":1}\\n{"name":"b","value":"2"}\\n'],
  });
  assertEquals(json.acc.samples, [{ name: "a", value: 1 }, { name: "b", value: 2 }]);
});

Deno.test("commandKind reports garbage lines per line and keeps the valid ones", async () => {
  const { acc } = await collectOnce({
    name: "jobs",
    command: [
      "printf",
      '{"name":"a","value":1}\\ngarbage here\\n{"name":"b","value":2}\\n{"name":"c"}\\n',
    ],
    format: "json",
  });
  assertEquals(acc.samples.map((s) => s.name), ["a", "b"]);
  assertEquals(acc.failed, false, "bad lines are item errors");
  assertEquals(acc.errors.map((e) => e.item), ["line 2", "line 4"]);
  assert(acc.errors.every((e) => e.err instanceof CollectError && e.err.source === "jobs"));
  assertMatch(messages(acc)[0], /^command source "jobs": json output line 2: invalid JSON: /);
  assertEquals(
    messages(acc)[1],
    `command source "jobs": json output line 4: "c": "value": expected a number, found nothing`,
  );
});

Deno.test("commandKind reports a missing executable as one clear error", async () => {
  const { acc } = await collectOnce({
    name: "x",
    command: ["/nonexistent/sextant-no-such-tool", "--flag"],
  });
  assertEquals(acc.samples, []);
  assertEquals(acc.failed, true);
  assertEquals(acc.errors.length, 1);
  assert(acc.errors[0].err instanceof CollectError);
  assertEquals(
    messages(acc)[0],
    `command source "x": cannot run "/nonexistent/sextant-no-such-tool": executable not found: "/nonexistent/sextant-no-such-tool"`,
  );
});

Deno.test("commandKind reports a non-zero exit with its code and first stderr line, redacted", async () => {
  const cmd =
    `echo "12"; echo; echo "boom: password=hunter22 failed" >&2; echo "second line" >&2; exit 3`;
  const { acc } = await collectOnce({ name: "x", command: cmd, shell: true });
  assertEquals(acc.samples, []);
  assertEquals(acc.failed, true, "a non-zero exit fails the collection");
  assertEquals(messages(acc), [
    `command source "x": the command exited with code 3: "boom: password=*** failed"`,
  ]);
  const parsed = await collectOnce({
    name: "x",
    command: cmd,
    shell: true,
    parse_on_failure: true,
  });
  assertEquals(parsed.acc.samples, [{ name: "value", value: 12 }]);
  assertEquals(parsed.acc.errors.length, 1);
  assertEquals(parsed.acc.failed, false, "with parse_on_failure the exit is an item error");
});

Deno.test("commandKind reports a command the platform refuses to spawn", async () => {
  // An argv the schema would reject reaches spawn, which throws synchronously.
  const source = commandKind.create({
    ...configFor(commandKind, { name: "x", command: ["true"] }),
    command: [""],
  }, testDeps());
  const acc = new RecordingAccumulator();
  await source.collect(acc, new AbortController().signal);
  assertEquals(acc.errors.length, 1);
  assert(acc.errors[0].err instanceof CollectError);
  assertMatch(messages(acc)[0], /^command source "x": cannot run "": .*cannot be empty/);
});

Deno.test("commandKind reports a command killed by a signal", async () => {
  const { acc } = await collectOnce({ name: "x", command: "kill -USR1 $$", shell: true });
  assertEquals(messages(acc), [`command source "x": the command was killed by SIGUSR1`]);
});

Deno.test("commandKind kills the whole process group on timeout and leaves nothing behind", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    for (const variant of ["plain", "ignores SIGTERM"]) {
      await t.step(variant, async () => {
        const pids = `${dir}/${variant.replace(/\W/g, "_")}.pids`;
        const trap = variant === "plain" ? "" : `trap '' TERM; `;
        const ctl = new AbortController();
        const t0 = performance.now();
        const run = collectOnce({
          name: "hang",
          command: `${trap}sleep 300 & echo "$$ $!" > "$PIDS"; wait`,
          shell: true,
          env: { PIDS: pids },
          kill_grace: "300ms",
        }, { signal: ctl.signal });
        let leader = 0;
        let grandchild = 0;
        await waitFor(async () => {
          const text = await Deno.readTextFile(pids).catch(() => "");
          [leader, grandchild] = text.trim().split(" ").map(Number);
          return text.endsWith("\n");
        }, "the pid file");
        assert(procStat(grandchild), "the grandchild runs");
        assertEquals(
          Number(procStat(grandchild)![2]),
          leader,
          "the grandchild is in the leader's group",
        );
        ctl.abort(new TimeoutError(`collection of "hang"`, 100));
        const { acc } = await within(run, 10_000);
        const ms = performance.now() - t0;
        assertEquals(messages(acc), [
          `command source "hang": the command timed out after 100 ms`,
        ]);
        assert(acc.errors[0].err instanceof TimeoutError);
        if (variant !== "plain") assert(ms >= 300, `waited the kill grace (${ms} ms)`);
        await waitFor(
          () => groupMembers(leader).length === 0 && procStat(grandchild)?.[0] !== "S",
          "the process group to be gone",
        );
        assertEquals(groupMembers(leader), []);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commandKind.stop ends a running command and waits for it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pids = `${dir}/pids`;
    const source = commandKind.create(
      configFor(commandKind, {
        command: `echo $$ > "$PIDS"; sleep 300`,
        shell: true,
        env: { PIDS: pids },
      }),
      testDeps(),
    );
    const acc = new RecordingAccumulator();
    const run = source.collect(acc, new AbortController().signal);
    let leader = 0;
    await waitFor(
      async () => (leader = Number(await Deno.readTextFile(pids).catch(() => ""))) > 0,
      "the pid file",
    );
    await within(source.stop(), 10_000);
    await source.stop();
    await run;
    assertEquals(messages(acc), [
      `command source "test": the command was stopped before it finished`,
    ]);
    // SIGKILL was sent; the kernel may still be tearing the processes down.
    await waitFor(() => groupMembers(leader).length === 0, "the process group to be gone");
    const after = new RecordingAccumulator();
    await source.collect(after, new AbortController().signal);
    assertEquals(after.errors, [], "a stopped source does not run again");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Kills the processes whose pids a test's commands appended to `file` (they left our process group). */
async function killListed(file: string): Promise<void> {
  const text = await Deno.readTextFile(file).catch(() => "");
  for (const pid of text.split("\n").filter((l) => /^\d+$/.test(l))) {
    try {
      Deno.kill(Number(pid), "SIGKILL");
    } catch { /* already gone */ }
  }
}

/** Starts a process in its own session (outside the command's group) that holds stdout for 60 s. */
const DETACHED = `setsid sh -c 'echo $$ >> "$PIDS"; exec sleep 60' &`;

Deno.test("commandKind returns soon after the command exits although a setsid grandchild holds stdout", async () => {
  const dir = await Deno.makeTempDir();
  const pids = `${dir}/pids`;
  try {
    const t0 = performance.now();
    const { acc, deps } = await within(
      collectOnce({
        name: "bg",
        command: `${DETACHED} echo 1`,
        shell: true,
        env: { PIDS: pids },
        format: "number",
      }),
      5_000,
    );
    assert(performance.now() - t0 < 3_000, `took ${performance.now() - t0} ms`);
    assertEquals(messages(acc), []);
    assertEquals(acc.samples, [{ name: "value", value: 1 }]);
    assert(
      deps.logs.some((l) => l.includes("a background process kept the output open")),
      deps.logs.join("\n"),
    );
  } finally {
    await waitFor(
      async () => (await Deno.readTextFile(pids).catch(() => "")).endsWith("\n"),
      "pids",
    );
    await killListed(pids);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commandKind times out within kill_grace although a setsid grandchild holds stdout, then runs again", async () => {
  const dir = await Deno.makeTempDir();
  const pids = `${dir}/pids`;
  try {
    const deps = testDeps();
    const source = commandKind.create(
      configFor(commandKind, {
        name: "bg",
        // The first run hangs with a detached holder of stdout; later runs print 2 and exit.
        command: `if [ -e "$MARK" ]; then echo 2; exit 0; fi; touch "$MARK"; ${DETACHED} sleep 300`,
        shell: true,
        env: { PIDS: pids, MARK: `${dir}/mark` },
        format: "number",
        kill_grace: "300ms",
      }),
      deps,
    );
    const ctl = new AbortController();
    const acc = new RecordingAccumulator();
    const run = source.collect(acc, ctl.signal);
    await waitFor(
      async () => (await Deno.readTextFile(pids).catch(() => "")).endsWith("\n"),
      "pids",
    );
    const t0 = performance.now();
    ctl.abort(new TimeoutError(`collection of "bg"`, 100));
    await within(run, 5_000);
    const ms = performance.now() - t0;
    assert(ms < 2_300, `returned ${ms} ms after the timeout (kill_grace 300 ms)`);
    assertEquals(messages(acc), [`command source "bg": the command timed out after 100 ms`]);
    assert(acc.errors[0].err instanceof TimeoutError);

    const next = new RecordingAccumulator();
    await within(source.collect(next, new AbortController().signal), 5_000);
    assertEquals(messages(next), []);
    assertEquals(next.samples, [{ name: "value", value: 2 }]);
    await source.stop();
  } finally {
    await killListed(pids);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commandKind.stop returns within kill_grace although a setsid grandchild holds stdout", async () => {
  const dir = await Deno.makeTempDir();
  const pids = `${dir}/pids`;
  try {
    const source = commandKind.create(
      configFor(commandKind, {
        command: `${DETACHED} sleep 300`,
        shell: true,
        env: { PIDS: pids },
        kill_grace: "300ms",
      }),
      testDeps(),
    );
    const acc = new RecordingAccumulator();
    const run = source.collect(acc, new AbortController().signal);
    await waitFor(
      async () => (await Deno.readTextFile(pids).catch(() => "")).endsWith("\n"),
      "pids",
    );
    await within(source.stop(), 5_000);
    await within(run, 1_000);
    assertEquals(messages(acc), [
      `command source "test": the command was stopped before it finished`,
    ]);
    assert(acc.errors[0].err instanceof CollectError);
  } finally {
    await killListed(pids);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commandKind reports the first 10 bad lines and sums up the rest in one error", async () => {
  const { acc } = await collectOnce({
    name: "junk",
    command: 'yes garbage | head -n 50000; echo \'{"name":"ok","value":1}\'',
    shell: true,
    format: "json",
  });
  assertEquals(acc.samples, [{ name: "ok", value: 1 }]);
  assertEquals(acc.errors.length, 11);
  assert(acc.errors.every((e) => e.err instanceof CollectError && e.err.source === "junk"));
  assertEquals(
    acc.errors.map((e) => e.item),
    [...Array.from({ length: 10 }, (_, i) => `line ${i + 1}`), "more lines"],
  );
  assertMatch(messages(acc)[9], /^command source "junk": json output line 10: invalid JSON: /);
  assertEquals(
    messages(acc)[10],
    `command source "junk": json output: ... and 49990 more invalid lines`,
  );
});

Deno.test("commandKind caps huge output, stops the command and drops the output", async () => {
  const t0 = performance.now();
  const { acc } = await collectOnce({
    name: "big",
    command: ["yes", "1"],
    max_output: 65_536,
    format: "number",
  });
  assert(performance.now() - t0 < 5000);
  assertEquals(acc.samples, []);
  assertEquals(messages(acc), [
    `command source "big": the command printed more than max_output (65536 bytes); it was stopped and its output dropped`,
  ]);
});

Deno.test("commandKind scrubs the environment down to pass_env and env", async () => {
  Deno.env.set("SEXTANT_TEST_LEAK", "leaky");
  Deno.env.set("SEXTANT_TEST_PASSED", "passed");
  try {
    const script =
      `printf '{"name":"env","value":1,"attributes":{"leak":"%s","passed":"%s","own":"%s","path":"%s","home":"%s"}}\\n' ` +
      `"\${SEXTANT_TEST_LEAK-absent}" "\${SEXTANT_TEST_PASSED-absent}" "\${OWN-absent}" "\${PATH:+set}" "\${HOME-absent}"`;
    const { acc } = await collectOnce({
      command: script,
      shell: true,
      env: { OWN: "mine" },
      pass_env: ["PATH", "SEXTANT_TEST_PASSED"],
    });
    assertEquals(acc.errors, []);
    assertEquals(acc.samples[0].attributes, {
      leak: "absent",
      passed: "passed",
      own: "mine",
      path: "set",
      home: "absent",
    });
  } finally {
    Deno.env.delete("SEXTANT_TEST_LEAK");
    Deno.env.delete("SEXTANT_TEST_PASSED");
  }
});

Deno.test("commandKind runs in cwd, resolved against the config's directory", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/work`);
    await Deno.writeTextFile(`${dir}/work/count.txt`, "17\n");
    const rel = await collectOnce({ command: ["cat", "count.txt"], cwd: "work" }, { baseDir: dir });
    assertEquals(rel.acc.samples, [{ name: "value", value: 17 }]);
    const base = await collectOnce({ command: ["cat", "work/count.txt"] }, { baseDir: dir });
    assertEquals(base.acc.samples, [{ name: "value", value: 17 }]);
    const missing = await collectOnce({ name: "x", command: ["true"], cwd: "nope" }, {
      baseDir: dir,
    });
    assertEquals(messages(missing.acc), [
      `command source "x": working directory "${dir}/nope" does not exist`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commandKind.check rejects a string without shell and an array with shell", () => {
  assertEquals(commandKind.check!(configFor(commandKind, { command: "df -k" })), [{
    path: ["command"],
    message:
      `a string command needs shell = true (it runs with /bin/sh -c); or give an argv array like ["df", "-k"]`,
  }]);
  assertEquals(commandKind.check!(configFor(commandKind, { command: ["df"], shell: true })), [{
    path: ["shell"],
    message: "shell = true needs command as a string, not an array",
  }]);
});

Deno.test("commandKind.secrets returns env values with secret-looking names", () => {
  const config = configFor(commandKind, {
    command: ["true"],
    env: { API_TOKEN: "tok-123", DB_PASSWORD: "pw-456", REGION: "eu", EMPTY_SECRET: "" },
  });
  assertEquals(commandKind.secrets!(config), ["tok-123", "pw-456"]);
});

Deno.test("commandKind schema rejects bad fields and fills defaults", () => {
  assertMatch(schemaIssues(commandKind, { command: [] })[0], /^command: /);
  assertEquals(schemaIssues(commandKind, { command: ["", "x"] }), [
    "command: expected the program to run first, found an empty string",
  ]);
  assertMatch(schemaIssues(commandKind, { command: ["x"], format: "yaml" })[0], /^format: /);
  assertEquals(schemaIssues(commandKind, { command: ["x"], metric: "9x" }), [
    "metric: expected a metric name: a letter, then letters, digits, '_', '.', '-' or '/'",
  ]);
  assertEquals(schemaIssues(commandKind, { command: ["x"], pass_env: ["A B"] }), [
    "pass_env.0: expected a variable name",
  ]);
  assertMatch(
    schemaIssues(commandKind, { command: ["x"], kill_grace: "soon" })[0],
    /^kill_grace: expected a duration/,
  );
  const c = configFor(commandKind, { command: ["x"] });
  assertEquals(
    [
      c.shell,
      c.format,
      c.metric,
      c.env,
      c.pass_env,
      c.max_output,
      c.kill_grace,
      c.parse_on_failure,
    ],
    [false, "auto", "value", {}, ["PATH", "HOME", "LANG", "TZ"], 1_048_576, 2000, false],
  );
});

Deno.test("commandKind sample.toml parses, validates and runs", async () => {
  const doc = parseToml(await Deno.readTextFile(new URL("./sample.toml", import.meta.url))) as {
    custom_metrics: { sources: Record<string, unknown>[] };
  };
  assert(doc.custom_metrics.sources.length >= 1);
  for (const table of doc.custom_metrics.sources) {
    assertEquals(schemaIssues(commandKind, table), []);
    const { acc } = await collectOnce(table);
    assertEquals(messages(acc), []);
    assert(acc.samples.length > 0, `${table.name} produced samples`);
  }
});

Deno.test("commandKind README shows sample.toml", async () => {
  const sample = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  assert(readme.includes(sample.slice(sample.indexOf("[[custom_metrics.sources]]")).trim()));
});
