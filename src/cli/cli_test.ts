import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  waitFor,
} from "../../tests/assert.ts";
import { type Platform, systemClock, VERSION } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { type CliIO, EXIT, main } from "./mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SMOKE = `${ROOT}tests/testdata/smoke.toml`;

function io(over: Partial<Platform> = {}, stop?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIO = {
    platform: { ...platform, ...over } as Platform,
    clock: systemClock,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    stop,
  };
  return { cli, out, err, text: () => out.join("\n"), errText: () => err.join("\n") };
}

const TEMP_ROOT = Deno.makeTempDirSync({ prefix: "sextant-cli-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(TEMP_ROOT, { recursive: true }));

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: TEMP_ROOT });
  await Deno.writeTextFile(`${dir}/${name}`, text);
  return `${dir}/${name}`;
}

Deno.test("cli version and help print to stdout", async () => {
  const a = io();
  assertEquals(await main(["version"], a.cli), EXIT.OK);
  assertEquals(a.text(), `sextant ${VERSION} (${platform.name} ${platform.version})`);
  const b = io();
  assertEquals(await main(["--help"], b.cli), EXIT.OK);
  assertStringIncludes(b.text(), "sextant once");
  assertStringIncludes(b.text(), "system");
  const c = io();
  assertEquals(await main([], c.cli), EXIT.OK);
  assertStringIncludes(c.text(), "Usage:");
});

Deno.test("cli version matches deno.json and package.json", async () => {
  const deno = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const pkg = JSON.parse(await Deno.readTextFile(`${ROOT}package.json`));
  assertEquals([deno.version, pkg.version], [VERSION, VERSION]);
});

Deno.test("cli usage errors exit 2 with a suggestion and no stack", async () => {
  const cases: [string[], RegExp][] = [
    [["vaildate"], /unknown command "vaildate" \(did you mean "validate"\?\)/],
    [["run", "--bogus"], /Unknown option '--bogus'/],
    [
      ["once", "--format", "xml"],
      /'--format' must be one of json, prom, table: current value is "xml"/,
    ],
    [
      ["run", "--log-level", "loud"],
      /'--log-level' must be one of debug, info, warn, error: current value is "loud"/,
    ],
    [["run", "--log-format", "xml"], /'--log-format' must be text or json/],
    [["config", "prnt"], /unknown config command "prnt" \(did you mean "print"\?\)/],
    [["validate", "extra.toml"], /unexpected argument "extra.toml" for "validate"/],
    [["run", "x"], /unexpected argument "x" for "run"/],
    [["once", "x"], /unexpected argument "x" for "once"/],
    [["validate", "--format", "json"], /--format applies to "once" and "status" only/],
    [["validate", "--resolved"], /--resolved applies to "config print" only/],
  ];
  for (const [argv, re] of cases) {
    const a = io();
    assertEquals(await main(argv, a.cli), EXIT.USAGE, argv.join(" "));
    assertMatch(a.errText(), re);
    assert(!a.errText().includes("    at "), a.errText());
  }
});

Deno.test("cli reports SEXTANT_LOG_LEVEL errors by name", async () => {
  const a = io({ env: (n) => (n === "SEXTANT_LOG_LEVEL" ? "verbose" : undefined) });
  assertEquals(await main(["validate"], a.cli), EXIT.USAGE);
  assertStringIncludes(a.errText(), "'SEXTANT_LOG_LEVEL' must be one of");
});

Deno.test("cli validate accepts the example configs", async () => {
  for (
    const f of [
      "config/sextant.toml",
      "config/examples/design_example.toml",
      "config/examples/composed/main.toml",
      "tests/testdata/smoke.toml",
    ]
  ) {
    const a = io();
    assertEquals(await main(["validate", "-c", `${ROOT}${f}`], a.cli), EXIT.OK, a.errText());
    assertMatch(a.text(), /: valid \(/);
  }
});

Deno.test("cli validate warns about an aggregator input no source provides", async () => {
  const a = io();
  assertEquals(
    await main(["validate", "-c", `${ROOT}config/examples/design_example.toml`], a.cli),
    EXIT.OK,
  );
  assertMatch(
    a.errText(),
    /warning: .*design_example\.toml:\d+:\d+: custom_metrics\.aggregators\[0\]\.source: "api_health\.response_time" matches no configured source/,
  );
});

Deno.test("cli validate prints every error located and exits 1", async () => {
  const file = await tempFile(
    "bad.toml",
    `[custom_metrics]
aggregation_window = "5 minutes"

[[custom_metrics.sources]]
name = "a"
type = "htp"

[[custom_metrics.sources]]
name = "b"
type = "system"
intervl = 10

[[custom_metrics.sources]]
name = "b"
type = "system"
`,
  );
  const a = io();
  assertEquals(await main(["validate", "-c", file], a.cli), EXIT.FAILURE);
  const e = a.errText();
  assertMatch(e, /bad\.toml:2:\d+: custom_metrics\.aggregation_window: .*"5 minutes"/);
  assertMatch(
    e,
    /bad\.toml:6:\d+: custom_metrics\.sources\[0\]\.type: .*"htp".*did you mean "http"/,
  );
  assertMatch(
    e,
    /bad\.toml:11:\d+: custom_metrics\.sources\[1\]\.intervl: unknown key.*did you mean "interval"/,
  );
  assertStringIncludes(a.errText(), "error(s) in");
});

Deno.test("cli validate reports duplicate names and shared ports", async () => {
  const file = await tempFile(
    "dup.toml",
    `[custom_metrics.admin]
listen = "127.0.0.1:9999"

[[custom_metrics.sources]]
name = "a"
type = "system"

[[custom_metrics.sources]]
name = "a"
type = "system"

[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:9999"
`,
  );
  const a = io();
  assertEquals(await main(["validate", "-c", file], a.cli), EXIT.FAILURE);
  assertMatch(
    a.errText(),
    /dup\.toml:9:\d+: custom_metrics\.sources\[1\]\.name: duplicate source name "a"/,
  );
  assertMatch(
    a.errText(),
    /dup\.toml:2:\d+: custom_metrics\.admin\.listen: 127\.0\.0\.1:9999 is already used by custom_metrics\.exporters\[0\]\.listen/,
  );
});

Deno.test("cli validate reports a missing file in one line", async () => {
  const a = io();
  assertEquals(await main(["validate", "-c", "/nonexistent/sextant.toml"], a.cli), EXIT.FAILURE);
  assertMatch(a.err[0], /^\/nonexistent\/sextant\.toml:1:1: .*cannot read/);
});

Deno.test("cli uses SEXTANT_CONFIG, then config/sextant.toml, then the embedded default", async () => {
  const a = io({ env: (n) => (n === "SEXTANT_CONFIG" ? SMOKE : undefined) });
  assertEquals(await main(["validate"], a.cli), EXIT.OK);
  assertStringIncludes(a.text(), "smoke.toml: valid (2 source(s)");
  // No SEXTANT_CONFIG: config/sextant.toml, relative to the working directory, when it exists.
  const dir = await Deno.makeTempDir({ dir: TEMP_ROOT });
  await Deno.mkdir(`${dir}/config`);
  await Deno.copyFile(SMOKE, `${dir}/config/sextant.toml`);
  const statIn = (p: string) => platform.stat(p.startsWith("/") ? p : `${dir}/${p}`);
  const c = io({
    env: () => undefined,
    stat: statIn,
    readFile: (p) => platform.readFile(p.startsWith("/") ? p : `${dir}/${p}`),
  });
  assertEquals(await main(["validate"], c.cli), EXIT.OK, c.errText());
  assertEquals(
    c.text(),
    "config/sextant.toml: valid (2 source(s), 0 aggregator(s), 1 exporter(s))",
  );
  const b = io({ env: () => undefined, stat: () => Promise.resolve(null) });
  assertEquals(await main(["validate"], b.cli), EXIT.OK);
  assertStringIncludes(b.text(), "embedded default config: valid (1 source(s)");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli config print redacts passwords", async () => {
  const file = await tempFile(
    "pw.toml",
    `[custom_metrics.admin]
token = "T0ken-S3cr3t-Value"

[[custom_metrics.exporters]]
type = "otlp"
headers = { "x-honeycomb-team" = "HC-K3y-Value", "x-instana-key" = "Inst-K3y-Value" }

[[custom_metrics.sources]]
name = "db"
type = "database"
connection_string = "postgresql://app:S3cr3t-Pa55@127.0.0.1/db"
queries = [{ name = "n", sql = "SELECT 1" }]
`,
  );
  const a = io();
  assertEquals(
    await main(["config", "print", "--resolved", "-c", file], a.cli),
    EXIT.OK,
    a.errText(),
  );
  const out = a.text();
  for (const secret of ["S3cr3t-Pa55", "T0ken-S3cr3t-Value", "HC-K3y-Value", "Inst-K3y-Value"]) {
    assert(!out.includes(secret), `${secret} printed:\n${out}`);
  }
  assertStringIncludes(out, "postgresql://app:***@127.0.0.1/db");
});

Deno.test("cli once prints json, prom and table", async () => {
  const j = io();
  assertEquals(await main(["once", "--format", "json", "-c", SMOKE], j.cli), EXIT.OK, j.errText());
  const doc = JSON.parse(j.text());
  assertEquals(Object.keys(doc), ["samples", "errors"]);
  const s = doc.samples.find((x: { name: string }) => x.name === "smoke_cmd.answer");
  assertEquals([s.value, s.type, s.attributes], [42, "gauge", {}]);
  assert(
    !doc.samples.some((x: { name: string }) => x.name.startsWith("sextant.")),
    "no self-metrics in once",
  );

  const p = io();
  assertEquals(await main(["once", "--format", "prom", "-c", SMOKE], p.cli), EXIT.OK);
  assertMatch(p.text(), /^smoke_cmd_answer(\{[^}]*\})? 42$/m);

  const t = io();
  assertEquals(await main(["once", "-c", SMOKE], t.cli), EXIT.OK);
  assertMatch(t.out[0], /^NAME\s+VALUE\s+TYPE\s+ATTRIBUTES$/);
  assert(t.out.some((l) => /^smoke_cmd\.answer\s+42\s+gauge/.test(l)), t.text());
});

Deno.test("cli once exits 1 and names the source when one fails", async () => {
  const file = await tempFile(
    "fail.toml",
    `[[custom_metrics.sources]]
name = "broken"
type = "command"
command = ["/nonexistent/tool"]

[[custom_metrics.sources]]
name = "fine"
type = "command"
command = ["sh", "-c", "echo 1"]
format = "number"
`,
  );
  const a = io();
  assertEquals(await main(["once", "--format", "json", "-c", file], a.cli), EXIT.FAILURE);
  const doc = JSON.parse(a.text());
  assertEquals(doc.errors.length, 1);
  assertEquals(doc.errors[0].source, "broken");
  assertStringIncludes(doc.errors[0].message, "/nonexistent/tool");
  assertEquals(doc.samples.map((s: { name: string }) => s.name), ["fine.value"]);
  const t = io();
  assertEquals(await main(["once", "-c", file], t.cli), EXIT.FAILURE);
  assertMatch(t.errText(), /^error: broken: /m);
});

Deno.test("cli run serves until stopped, then shuts down cleanly", async () => {
  const stop = new AbortController();
  const a = io({}, stop.signal);
  const running = main(["run", "-c", SMOKE, "--log-format", "json"], a.cli);
  const url = await waitFor(() => {
    for (const l of a.err) {
      const m = /"url":"(http:\/\/[^"]+\/metrics)"/.exec(l);
      if (m) return m[1];
    }
  }, "the metrics endpoint");
  await waitFor(
    async () => (await (await fetch(url)).text()).includes("smoke_cmd_answer"),
    "first scrape",
  );
  stop.abort();
  assertEquals(await running, EXIT.OK);
  for (const l of a.err) JSON.parse(l); // every log line is JSON
  assert(a.err.some((l) => l.includes("agent stopped")));
});

Deno.test("cli run exits 1 with one clear line when the port is taken", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (blocker.addr as Deno.NetAddr).port;
  const file = await tempFile(
    "port.toml",
    `[custom_metrics.admin]
enabled = false

[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:${port}"
`,
  );
  try {
    const a = io();
    assertEquals(await main(["run", "-c", file], a.cli), EXIT.FAILURE);
    assertStringIncludes(
      a.errText(),
      `sextant: Cannot listen on 127.0.0.1:${port}: address already in use`,
    );
    assert(!a.errText().includes("    at "));
  } finally {
    blocker.close();
  }
});

Deno.test("cli run keeps collecting while sources are unreachable, hang or print garbage", async () => {
  const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (dead.addr as Deno.NetAddr).port;
  dead.close(); // nothing listens there any more
  // Intervals (and so timeouts) of the sources that must succeed or fail on their own merits are
  // derived from how long a spawn takes on this machine now, so that load does not turn them into
  // timeouts. A unique `sleep` argument finds this test's hanging child, and no one else's.
  const spawnMs = await slowestSpawn(3);
  const unit = Math.max(200, Math.ceil(spawnMs * 5));
  const sleepArg = `30.${String(Math.random()).slice(2, 8)}`;
  const file = await tempFile(
    "bad_sources.toml",
    `[custom_metrics.agent]
jitter = 0

# Each source's own outcome is under test, run after run: a breaker opened by load-caused timeouts
# would hide it for its cooldown. The breaker has its own tests (tests/integration/resilience_*).
[custom_metrics.agent.breaker]
enabled = false

[custom_metrics.admin]
listen = "127.0.0.1:0"

[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"

[[custom_metrics.sources]]
name = "unreachable"
type = "http"
url = "http://127.0.0.1:${deadPort}/health"
interval = "${unit}ms"

[[custom_metrics.sources]]
name = "hangs"
type = "command"
command = ["sleep", "${sleepArg}"]
interval = "300ms"
timeout = "150ms"

[[custom_metrics.sources]]
name = "garbage"
type = "command"
command = ["sh", "-c", "printf 'not a metric {{{\\\\n'"]
interval = "${unit}ms"

[[custom_metrics.sources]]
name = "good"
type = "command"
command = ["sh", "-c", "echo 7"]
format = "number"
interval = "${unit}ms"
`,
  );
  const stop = new AbortController();
  const a = io({}, stop.signal);
  const running = main(["run", "-c", file], a.cli);
  try {
    const admin = await waitFor(
      () => a.err.map((l) => /admin API listening url=(\S+?)\/?$/.exec(l)?.[1]).find(Boolean),
      "admin URL",
    );
    const metrics = await waitFor(
      () => a.err.map((l) => /url=(\S+\/metrics)/.exec(l)?.[1]).find(Boolean),
      "metrics URL",
    );
    type S = {
      name: string;
      state: string;
      collections: number;
      timeouts: number;
      last_errors: { message: string }[];
    };
    // What each source's runs show, gathered over successive snapshots: a run that a load spike
    // timed out (the measured margin is a guess at the load to come) proves nothing about its
    // source, so each fact counts once a snapshot shows it.
    const seen = {
      good: "", // state ok after at least 10 collections
      hangs: "", // failed, timed out at least twice, by its own 150 ms timeout
      garbage: "", // failed with the parse error
      unreachable: "", // the connection error naming the endpoint
    };
    let last = "";
    const error = (s: S) => s.last_errors[0]?.message ?? "";
    try {
      await waitFor(
        async () => {
          const st = await (await fetch(`${admin}/status`)).json();
          const m = new Map<string, S>(st.sources.map((s: S) => [s.name, s]));
          last = JSON.stringify(st.sources);
          const good = m.get("good")!, hangs = m.get("hangs")!;
          const garbage = m.get("garbage")!, unreachable = m.get("unreachable")!;
          if (good.collections >= 10 && good.state === "ok") seen.good = "ok";
          if (
            hangs.timeouts >= 2 && hangs.state === "failed" &&
            error(hangs).includes("timed out after 150 ms")
          ) seen.hangs = error(hangs);
          if (garbage.state === "failed" && error(garbage).includes("line 1")) {
            seen.garbage = error(garbage);
          }
          if (error(unreachable).includes(`127.0.0.1:${deadPort}`)) {
            seen.unreachable = error(unreachable);
          }
          return Object.values(seen).every(Boolean);
        },
        "every source's own outcome",
        30_000,
      );
    } catch (err) {
      throw new Error(`${err}; seen ${JSON.stringify(seen)}; last status ${last}`);
    }
    // A run that a load spike timed out clears its source's series until the next run: wait for
    // a scrape that follows good runs of both.
    const body = await waitFor(async () => {
      const t = await (await fetch(metrics)).text();
      return /^good_value 7$/m.test(t) && /^unreachable_up 0$/m.test(t) ? t : undefined;
    }, "good_value 7 and unreachable_up 0 in one scrape");
    assertMatch(body, /^sextant_source_up\{source="hangs",type="command"\} 0$/m);
  } finally {
    stop.abort();
  }
  assertEquals(await running, EXIT.OK);
  assert(!a.errText().includes("    at "), "no stack traces in the log");
  // No zombie or orphan `sleep` from the hanging source (a leaked one would live for 30 s).
  const pattern = `^sleep ${sleepArg.replace(".", "\\.")}$`;
  await waitFor(
    () => {
      const ps = new Deno.Command("pgrep", { args: ["-f", pattern] }).outputSync();
      return new TextDecoder().decode(ps.stdout).trim() === "" || undefined;
    },
    `no process left matching ${pattern}`,
    5_000,
  );
});

Deno.test("cli validate catches the admin API on the default Prometheus port, and allows other hosts", async () => {
  const clash = await tempFile("clash.toml", `[custom_metrics.admin]\nlisten = "127.0.0.1:9464"\n`);
  const a = io();
  assertEquals(await main(["validate", "-c", clash], a.cli), EXIT.FAILURE);
  assertMatch(
    a.errText(),
    /is already used by .*the default Prometheus exporter \(127\.0\.0\.1:9464\)/,
  );
  const wild = await tempFile("wild.toml", `[custom_metrics.admin]\nlisten = "0.0.0.0:9464"\n`);
  assertEquals(await main(["validate", "-c", wild], io().cli), EXIT.FAILURE);
  const other = await tempFile(
    "other.toml",
    `[custom_metrics.admin]
listen = "127.0.0.2:9470"

[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:9470"
`,
  );
  const b = io();
  assertEquals(await main(["validate", "-c", other], b.cli), EXIT.OK, b.errText());
});

Deno.test("cli validate rejects durations a timer cannot wait", async () => {
  const file = await tempFile(
    "long.toml",
    `[[custom_metrics.sources]]\nname = "h"\ntype = "system"\ninterval = "30d"\n`,
  );
  const a = io();
  assertEquals(await main(["validate", "-c", file], a.cli), EXIT.FAILURE);
  assertMatch(
    a.errText(),
    /long\.toml:4:\d+: custom_metrics\.sources\[0\]\.interval: expected a duration of at most 24d/,
  );
});

Deno.test("cli accepts SEXTANT_LOG_LEVEL in any case", async () => {
  const a = io({ env: (n) => (n === "SEXTANT_LOG_LEVEL" ? "DEBUG" : undefined) });
  assertEquals(await main(["validate", "-c", SMOKE], a.cli), EXIT.OK, a.errText());
});

Deno.test("cli run warns about unreadable plugin directories and reloads on SIGHUP", async () => {
  const file = await tempFile(
    "plug.toml",
    `[custom_metrics]
plugin_directories = ["/nonexistent/plugins"]

[custom_metrics.admin]
enabled = false

[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"
`,
  );
  const handlers = new Map<string, () => void>();
  const stop = new AbortController();
  const a = io({
    stat: (
      p,
    ) => (p === "/nonexistent/plugins"
      ? Promise.resolve({ isFile: false, isDirectory: true, size: 0, mtimeMs: 0 })
      : platform.stat(p)),
    readDir: (
      p,
    ) => (p === "/nonexistent/plugins"
      ? Promise.reject(new Error("EACCES: permission denied"))
      : platform.readDir(p)),
    onSignal: (sig, fn) => {
      handlers.set(sig, fn);
      return () => handlers.delete(sig);
    },
  }, stop.signal);
  const running = main(["run", "-c", file], a.cli);
  await waitFor(() => handlers.has("SIGHUP"), "signal handlers");
  assertMatch(
    a.errText(),
    /^warning: \S+plug\.toml:2:23: custom_metrics\.plugin_directories\[0\]: plugin directory "\/nonexistent\/plugins" cannot be read: EACCES: permission denied$/m,
  );
  handlers.get("SIGHUP")!();
  await waitFor(() => /configuration reloaded trigger=signal/.test(a.errText()), "the reload");
  handlers.get("SIGTERM")!();
  assertEquals(await running, EXIT.OK);
  assertMatch(a.errText(), /shutting down reason=SIGTERM/);
});

Deno.test("cli once prints aggregates over the one cycle's samples", async () => {
  const file = await tempFile(
    "agg.toml",
    `[[custom_metrics.sources]]
name = "fine"
type = "command"
command = ["sh", "-c", "echo 5"]
format = "number"

[[custom_metrics.aggregators]]
source = "fine.value"
type = "percentile"
percentiles = [50, 99]

[[custom_metrics.aggregators]]
source = "fine.*"
type = "stats"
stats = ["count", "sum", "rate"]
window = "1m"

[[custom_metrics.aggregators]]
type = "derived"
name = "fine.double"
expression = "2 * fine.value.sum"
`,
  );
  const a = io();
  assertEquals(await main(["once", "--format", "json", "-c", file], a.cli), EXIT.OK, a.errText());
  assertEquals(a.errText(), ""); // no "missing input" noise from reads before the cycle ended
  const doc = JSON.parse(a.text());
  assertEquals(
    doc.samples.map((s: { name: string; value: number; attributes: object }) => [
      s.name,
      s.value,
      s.attributes,
    ]),
    [
      ["fine.value", 5, {}],
      ["fine.value.p50", 5, { window: "5m" }],
      ["fine.value.p99", 5, { window: "5m" }],
      // rate needs two samples: one cycle has one, so it is left out rather than faked.
      ["fine.value.count", 1, { window: "1m" }],
      ["fine.value.sum", 5, { window: "1m" }],
      ["fine.double", 10, {}],
    ],
  );
  const p = io();
  assertEquals(await main(["once", "--format", "prom", "-c", file], p.cli), EXIT.OK);
  assertMatch(p.text(), /^fine_value_count_value\{window="1m"\} 1$/m);
  assertMatch(p.text(), /^fine_value_p99\{window="5m"\} 5$/m);
});

Deno.test("cli once reports aggregation errors and never prints a non-finite aggregate", async () => {
  const file = await tempFile(
    "aggerr.toml",
    `[[custom_metrics.sources]]
name = "big1"
type = "command"
command = ["sh", "-c", "echo 1e308"]
format = "number"

[[custom_metrics.sources]]
name = "big2"
type = "command"
command = ["sh", "-c", "echo 1e308"]
format = "number"

[[custom_metrics.sources]]
name = "zero"
type = "command"
command = ["sh", "-c", "echo 0"]
format = "number"

[[custom_metrics.aggregators]]
source = "big*.value"
name = "big"
type = "stats"
stats = ["sum", "max"]

[[custom_metrics.aggregators]]
type = "derived"
name = "ratio"
expression = "100 * big1.value / zero.value"

[[custom_metrics.aggregators]]
type = "derived"
name = "miss"
expression = "big1.value + nosuch.value"
`,
  );
  const a = io();
  assertEquals(await main(["once", "--format", "json", "-c", file], a.cli), EXIT.FAILURE);
  const doc = JSON.parse(a.text());
  assertEquals(doc.errors, [
    {
      rule: "big",
      message: 'big.sum {window="5m"} is Infinity, not a finite number: not exported',
    },
    { rule: "ratio", message: "division by zero at column 18 for {}" },
    { rule: "miss", message: 'missing input "nosuch.value": no value in this cycle' },
  ]);
  assertEquals(
    doc.samples.filter((s: { name: string }) => !s.name.endsWith(".value")).map((
      s: { name: string; value: number },
    ) => [s.name, s.value]),
    [["big.max", 1e308]],
  );
  const p = io();
  assertEquals(await main(["once", "--format", "prom", "-c", file], p.cli), EXIT.FAILURE);
  assertMatch(p.text(), /^big_max\{window="5m"\} 1e\+308$/m);
  assert(!/big_sum|Inf|NaN/.test(p.text()), p.text());
  assertMatch(p.errText(), /^error: rule ratio: division by zero at column 18 for \{\}$/m);
  const t = io();
  assertEquals(await main(["once", "-c", file], t.cli), EXIT.FAILURE);
  assertMatch(
    t.errText(),
    /^error: rule miss: missing input "nosuch.value": no value in this cycle$/m,
  );
});

/** The longest of `n` runs of `sh -c "echo 7"`, in ms. */
async function slowestSpawn(n: number): Promise<number> {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Deno.Command("sh", { args: ["-c", "echo 7"], stdout: "null" }).output();
    worst = Math.max(worst, performance.now() - t0);
  }
  return worst;
}
