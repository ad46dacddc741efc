import { assert, assertEquals, assertStringIncludes, waitFor } from "../../tests/assert.ts";
import { type Platform, systemClock } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { type CliIO, EXIT, main } from "./mod.ts";

function io(stop: AbortSignal) {
  const err: string[] = [];
  const cli: CliIO = {
    platform: platform as Platform,
    clock: systemClock,
    stdout: () => {},
    stderr: (l) => err.push(l),
    stop,
  };
  return { cli, err };
}

const MAIN = `include = ["conf.d/*.toml"]

[custom_metrics.agent]
jitter = 0

[custom_metrics.admin]
listen = "127.0.0.1:0"

[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"

[[custom_metrics.sources]]
name = "steady"
type = "file"
path = "steady.txt"
format = "number"
interval = "100ms"

[[custom_metrics.aggregators]]
source = "steady.value"
type = "stats"
stats = ["avg"]
window = "1m"
`;

const EXTRA = (value: number) =>
  `[[custom_metrics.sources]]
name = "added"
type = "command"
command = ["sh", "-c", "echo ${value}"]
format = "number"
interval = "100ms"
`;

interface Status {
  sources: { name: string; collections: number; state: string }[];
  config: {
    reloads: { success: number; failure: number };
    last_reload?: {
      trigger: string;
      result: string;
      errors: string[];
      changes?: { added: string[]; changed: string[]; removed: string[]; unchanged: string[] };
    };
  };
}

Deno.test("cli run reloads on file changes, SIGHUP and POST /reload while samples keep flowing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-reload-" });
  await Deno.mkdir(`${dir}/conf.d`);
  await Deno.writeTextFile(`${dir}/main.toml`, MAIN);
  await Deno.writeTextFile(`${dir}/steady.txt`, "7\n");
  const stop = new AbortController();
  const a = io(stop.signal);
  const running = main(["run", "-c", `${dir}/main.toml`], a.cli);
  try {
    const logged = (re: RegExp) => a.err.map((l) => re.exec(l)?.[1]).find(Boolean);
    const admin = await waitFor(() => logged(/admin API listening url=(\S+?)\/?$/), "admin URL");
    const metrics = await waitFor(() => logged(/url=(\S+\/metrics)/), "metrics URL");
    await waitFor(() => logged(/(watching configuration files)/), "the watch");
    const status = async () => (await (await fetch(`${admin}/status`)).json()) as Status;
    const steady = async () => (await status()).sources.find((s) => s.name === "steady")!;
    const scrape = async () => await (await fetch(metrics)).text();
    await waitFor(async () => (await scrape()).includes("steady_value 7"), "first samples");
    // A runner logs "source started" once, at its first run: a rebuilt one would log it again.
    const starts = (name: string) =>
      a.err.filter((l) => l.includes("source started") && l.includes(`source.${name}`)).length;
    await waitFor(() => starts("steady") === 1, "steady's start");

    // 1. A new file in conf.d adds a source; the unchanged one keeps its runner.
    const before = (await steady()).collections;
    await Deno.writeTextFile(`${dir}/conf.d/extra.toml`, EXTRA(3));
    const added = await waitFor(async () => {
      const s = await status();
      return s.config.last_reload?.changes?.added.includes("added") ? s : undefined;
    }, "the file reload");
    assertEquals(added.config.last_reload!.trigger, "file");
    assertEquals(added.config.last_reload!.changes!.unchanged, ["steady"]);
    // Its count goes on from where it was (a new runner would start at 0), and it started once.
    await waitFor(async () => (await steady()).collections > before, "steady collects on");
    assertEquals(starts("steady"), 1, "the unchanged source's runner was replaced");
    await waitFor(async () => (await scrape()).includes("added_value 3"), "the added source");

    // 2. A changed source is rebuilt with its new config.
    await Deno.writeTextFile(`${dir}/conf.d/extra.toml`, EXTRA(4));
    await waitFor(async () => (await scrape()).includes("added_value 4"), "the changed source");
    assertEquals((await status()).config.last_reload!.changes!.changed, ["added"]);

    // 3. A real SIGHUP reloads too.
    const successes = (await status()).config.reloads.success;
    Deno.kill(Deno.pid, "SIGHUP");
    const hup = await waitFor(async () => {
      const s = await status();
      return s.config.reloads.success > successes ? s : undefined;
    }, "the SIGHUP reload");
    assertEquals(hup.config.last_reload!.trigger, "signal");

    // 4. An invalid file is refused: the running config stays, POST /reload says why.
    await Deno.writeTextFile(`${dir}/conf.d/extra.toml`, EXTRA(5).replace("interval", "intervall"));
    const res = await fetch(`${admin}/reload`, { method: "POST" });
    assertEquals(res.status, 422);
    const body = await res.json() as { ok: boolean; errors: string[] };
    assertEquals(body.ok, false);
    assertEquals(body.errors, [
      `conf.d/extra.toml:6:1: custom_metrics.sources[1].intervall: unknown key "intervall" (did you mean "interval"?)`
        .replace("conf.d", `${dir}/conf.d`.replace(`${Deno.cwd()}/`, "")),
    ]);
    const failed = await status();
    assert(failed.config.reloads.failure >= 1);
    assertEquals(failed.config.last_reload!.result, "failure");
    assert(failed.sources.some((s) => s.name === "added"), "the running config was dropped");
    // The old "added" is still running (a timed-out run may blank it for one interval).
    await waitFor(async () => {
      const t = await scrape();
      return /sextant_config_reload_total\{result="failure"\} [1-9]/.test(t) &&
        t.includes("added_value 4");
    }, "the failure counter and the old source's samples");

    // 5. Removing the file removes its source and its series; changing an aggregator restarts no source.
    const collections = (await steady()).collections;
    await Deno.remove(`${dir}/conf.d/extra.toml`);
    await Deno.writeTextFile(`${dir}/main.toml`, MAIN.replace('window = "1m"', 'window = "2m"'));
    await waitFor(async () => {
      const s = await status();
      return s.config.last_reload?.result === "success" &&
        !s.sources.some((x) => x.name === "added");
    }, "the removal");
    assertEquals((await status()).config.last_reload!.changes!.unchanged, ["steady"]);
    await waitFor(async () => !(await scrape()).includes("added_value"), "the removed series");
    await waitFor(
      async () => (await steady()).collections > collections,
      "steady keeps collecting",
    );

    // 6. A secret file read with ${file:...} (outside every config directory) is watched too.
    await Deno.mkdir(`${dir}/secrets`);
    await Deno.writeTextFile(`${dir}/secrets/num.txt`, "4711\n");
    await Deno.writeTextFile(
      `${dir}/conf.d/secret.toml`,
      EXTRA(0).replace('"echo 0"', `"echo \${file:${dir}/secrets/num.txt}"`),
    );
    await waitFor(async () => (await scrape()).includes("added_value 4711"), "the secret's value");
    const reloads = (await status()).config.reloads.success;
    await Deno.writeTextFile(`${dir}/secrets/num.txt`, "4712\n");
    await waitFor(async () => (await scrape()).includes("added_value 4712"), "the new secret");
    const last = await status();
    assertEquals([last.config.reloads.success, last.config.last_reload!.trigger], [
      reloads + 1,
      "file",
    ]);
    assertEquals(last.config.last_reload!.changes!.changed, ["added"]);
    assertEquals(starts("steady"), 1, "steady's runner survived every reload");
  } catch (err) {
    console.error(a.err.join("\n"));
    throw err;
  } finally {
    stop.abort();
    assertEquals(await running, EXIT.OK);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli run moves the exporter to a new port on reload", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-reload-" });
  await Deno.writeTextFile(`${dir}/main.toml`, MAIN);
  await Deno.writeTextFile(`${dir}/steady.txt`, "7\n");
  const stop = new AbortController();
  const a = io(stop.signal);
  const running = main(["run", "-c", `${dir}/main.toml`], a.cli);
  try {
    const urls = () => a.err.map((l) => /url=(\S+\/metrics2?)/.exec(l)?.[1]).filter(Boolean);
    const first = await waitFor(() => urls()[0], "metrics URL");
    await waitFor(() => a.err.some((l) => l.includes("watching configuration files")), "the watch");
    await waitFor(
      async () => (await (await fetch(first!)).text()).includes("steady_value 7"),
      "samples",
    );
    await Deno.writeTextFile(
      `${dir}/main.toml`,
      MAIN.replace(
        'listen = "127.0.0.1:0"\n\n[[custom_metrics.sources]]',
        'listen = "127.0.0.1:0"\npath = "/metrics2"\n\n[[custom_metrics.sources]]',
      ),
    );
    const second = await waitFor(() => urls().find((u) => u!.endsWith("/metrics2")), "new URL");
    // The last batch is replayed into the new exporter: no gap waiting for the next collection.
    assertStringIncludes(await (await fetch(second!)).text(), "steady_value 7");
  } catch (err) {
    console.error(a.err.join("\n"));
    throw err;
  } finally {
    stop.abort();
    assertEquals(await running, EXIT.OK);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli run moves the admin API when a reload asked over it changes its address", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-reload-" });
  await Deno.writeTextFile(`${dir}/main.toml`, MAIN.replace('include = ["conf.d/*.toml"]\n', ""));
  await Deno.writeTextFile(`${dir}/steady.txt`, "7\n");
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const stop = new AbortController();
  const a = io(stop.signal);
  const running = main(["run", "-c", `${dir}/main.toml`], a.cli);
  try {
    const admins = () =>
      a.err.map((l) => /admin API listening url=(\S+?)\/?$/.exec(l)?.[1]).filter(Boolean);
    const first = await waitFor(() => admins()[0], "admin URL");
    // Written while the watch is not yet reading: whichever trigger comes first applies it.
    await Deno.writeTextFile(
      `${dir}/main.toml`,
      MAIN.replace('include = ["conf.d/*.toml"]\n', "").replace(
        '[custom_metrics.admin]\nlisten = "127.0.0.1:0"',
        `[custom_metrics.admin]\nlisten = "127.0.0.1:${port}"`,
      ),
    );
    const res = await fetch(`${first}/reload`, { method: "POST" });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    const moved = await waitFor(() => admins().find((u) => u!.endsWith(`:${port}`)), "new admin");
    const st = await (await fetch(`${moved}/status`)).json() as Status;
    assert(st.config.reloads.success >= 1);
    const old = await fetch(`${first}/status`).then((r) => r.status, () => "closed");
    assertEquals(old, "closed");
  } catch (err) {
    console.error(a.err.join("\n"));
    throw err;
  } finally {
    stop.abort();
    assertEquals(await running, EXIT.OK);
    await Deno.remove(dir, { recursive: true });
  }
});

const PLUGINS_DIR = new URL("../../plugins", import.meta.url).pathname;

Deno.test("cli run reloads around a plugin source: unchanged keeps its daemon, changed restarts it, removed stops it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-reload-plugin-" });
  const base = MAIN.replace('include = ["conf.d/*.toml"]\n', "").replace(
    "[custom_metrics.agent]",
    `[custom_metrics]\nplugin_directories = [${
      JSON.stringify(PLUGINS_DIR)
    }]\n\n[custom_metrics.agent]`,
  );
  // Intervals (and so timeouts) leave a loaded machine time to start the daemon; without the
  // breaker, a start that still timed out is retried after the host's backoff, not 30 s later.
  const plugin = (interval: string) =>
    `\n[[custom_metrics.sources]]\nname = "counter"\ntype = "plugin"\nplugin = "counter_daemon"\ninterval = "${interval}"\nbreaker = { enabled = false }\n`;
  await Deno.writeTextFile(`${dir}/steady.txt`, "7\n");
  await Deno.writeTextFile(`${dir}/main.toml`, base + plugin("400ms"));
  const stop = new AbortController();
  const a = io(stop.signal);
  const running = main(["run", "-c", `${dir}/main.toml`], a.cli);
  try {
    const logged = (re: RegExp) => a.err.map((l) => re.exec(l)?.[1]).find(Boolean);
    const admin = await waitFor(() => logged(/admin API listening url=(\S+?)\/?$/), "admin URL");
    const metrics = await waitFor(() => logged(/url=(\S+\/metrics)/), "metrics URL");
    const scrape = async () => await (await fetch(metrics)).text();
    const value = (t: string, name: string) =>
      Number(new RegExp(`^${name} (\\d+)$`, "m").exec(t)?.[1] ?? NaN);
    const reload = async () => {
      const res = await fetch(`${admin}/reload`, { method: "POST" });
      type Changes = NonNullable<NonNullable<Status["config"]["last_reload"]>["changes"]>;
      const body = await res.json() as { ok: boolean; errors: string[]; changes?: Changes };
      assert(body.ok, body.errors?.join("\n"));
      return body.changes!;
    };
    const first = await waitFor(async () => {
      const t = await scrape();
      return value(t, "counter_requests_total") >= 3 ? t : undefined;
    }, "the daemon's first answers");
    const pid = value(first, "counter_pid");

    // Another source changes: the daemon keeps running and counting.
    await Deno.writeTextFile(`${dir}/main.toml`, base.replace('"1m"', '"2m"') + plugin("400ms"));
    const kept = await reload();
    assert(kept.unchanged.includes("counter"), JSON.stringify(kept));
    const before = value(await scrape(), "counter_requests_total");
    const later = await waitFor(async () => {
      const t = await scrape();
      return value(t, "counter_requests_total") > before + 2 ? t : undefined;
    }, "more answers from the same daemon");
    assertEquals(value(later, "counter_pid"), pid);

    // The plugin source changes: a new daemon starts from 1.
    await Deno.writeTextFile(`${dir}/main.toml`, base + plugin("500ms"));
    assertEquals((await reload()).changed, ["counter"]);
    await waitFor(async () => {
      const t = await scrape();
      const p = value(t, "counter_pid");
      return Number.isFinite(p) && p !== pid && value(t, "counter_requests_total") < before;
    }, "a new daemon");
    assertEquals(
      new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" }).outputSync().code,
      1,
      "the old daemon is gone",
    );

    // Removed: its series and its status go.
    await Deno.writeTextFile(`${dir}/main.toml`, base);
    assertEquals((await reload()).removed, ["counter"]);
    const st = await (await fetch(`${admin}/status`)).json() as { plugins: { source: string }[] };
    assertEquals(st.plugins.map((p) => p.source), []);
    assert(!(await scrape()).includes("counter_requests_total"), "the removed plugin's series");
    assertStringIncludes(await scrape(), "steady_value 7");
  } catch (err) {
    console.error(a.err.join("\n"));
    throw err;
  } finally {
    stop.abort();
    assertEquals(await running, EXIT.OK);
    await Deno.remove(dir, { recursive: true });
  }
});
