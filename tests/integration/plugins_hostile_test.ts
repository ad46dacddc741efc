/**
 * Hostile plugins are contained: each test runs one misbehaving plugin
 * next to a steady built-in source in a real agent, and checks that the
 * collector keeps running, the steady source keeps reporting on time,
 * nothing secret shows in metrics or logs, and the offender is reported and
 * restarted or quarantined.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, waitFor } from "../assert.ts";
import {
  SECRET,
  startAgent,
  steadyKeepsReporting,
  type TestAgent,
  writePlugin,
} from "./plugins_support.ts";

const MODULE = `version = "1.0.0"\nkind = "module"\nentry = "mod.ts"\napi_version = "^1"\n`;
const SOURCE = `
[[custom_metrics.sources]]
name = "bad"
type = "plugin"
plugin = "bad"
interval = "1s"
timeout = "1s"
restart_backoff = "50ms"
kill_grace = "200ms"
memory_limit = 48
`;

/** Errors the bad source reported in its last collection, joined. */
function lastErrors(t: TestAgent): string {
  const s = t.agent.status().sources.find((x) => x.name === "bad")!;
  return s.last_errors.map((e) => e.message).join("\n");
}

/** Runs `body` with an agent on one bad plugin, then checks the invariants every hostile test shares. */
async function contain(
  manifest: string,
  files: Record<string, string>,
  body: (t: TestAgent, root: string) => Promise<void>,
  sourceExtra = "",
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "sextant-hostile-" });
  const secretFile = join(root, "secret.txt");
  await Deno.writeTextFile(secretFile, SECRET);
  const filled = Object.fromEntries(
    Object.entries(files).map(([k, v]) => [k, v.replaceAll("SECRET_FILE", secretFile)]),
  );
  await writePlugin(root, "bad", manifest.replaceAll("ROOT_DIR", root), filled);
  const base = sourceExtra.includes("memory_limit")
    ? SOURCE.replace("memory_limit = 48\n", "")
    : SOURCE;
  const t = await startAgent(root, base + sourceExtra.replaceAll("ROOT_DIR", root));
  try {
    await body(t, root);
    await steadyKeepsReporting(t);
    assert(t.agent.ready, "the collector keeps running");
    const metrics = await t.metrics();
    assertMatch(metrics, /steady_value 7/);
    assert(!metrics.includes(SECRET), "no secret in metrics");
    assert(!t.logs.join("\n").includes(SECRET), "no secret in logs");
    assert(!JSON.stringify(t.agent.status()).includes(SECRET), "no secret in /status");
  } finally {
    await t.stop();
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("hostile plugin reading a file outside its allow-list is denied and reported", async () => {
  await contain(MODULE, {
    "mod.ts": `export default { collect() {
      return [{ name: "leak", value: 1, attributes: { s: Deno.readTextFileSync("SECRET_FILE") } }];
    } };`,
  }, async (t) => {
    await waitFor(
      () => /Requires read access/.test(lastErrors(t)),
      "the denial to be reported",
      30_000,
    );
    assertMatch(
      lastErrors(t),
      /plugin "bad": collect\(\) failed: .*Requires read access to ".*secret\.txt"/,
    );
    assertEquals(t.plugin().state, "running");
  });
});

Deno.test("hostile plugin whose manifest path climbs out with .. cannot write past the operator's narrowing", async () => {
  let pwned = "";
  await contain(
    MODULE + `[permissions]\nwrite = ["ROOT_DIR/bad/../.."]\nread = ["ROOT_DIR/bad/.."]\n`,
    {
      "mod.ts": `export default { collect() {
      Deno.writeTextFileSync(new URL("../pwned.txt", import.meta.url), "pwned");
      return [{ name: "wrote", value: 1 }];
    } };`,
    },
    async (t, root) => {
      pwned = join(root, "pwned.txt");
      await waitFor(
        () => /Requires write access/.test(lastErrors(t)),
        "the denial to be reported",
        30_000,
      );
      assertMatch(lastErrors(t), /collect\(\) failed: .*Requires write access to ".*pwned\.txt"/);
      assertEquals(String(t.plugin().permissions), `read=${root}/bad write=${root}/bad`);
    },
    `permissions = { write = ["ROOT_DIR/bad"], read = ["ROOT_DIR/bad"] }\n`,
  );
  assert(pwned !== "");
  assertEquals(await Deno.stat(pwned).then(() => true, () => false), false);
});

Deno.test("hostile plugin whose manifest read path climbs out with .. cannot read past the operator's narrowing", async () => {
  await contain(MODULE + `[permissions]\nread = ["ROOT_DIR/bad/../secret.txt/../.."]\n`, {
    "mod.ts": `export default { collect() {
      return [{ name: "leak", value: 1, attributes: { s: Deno.readTextFileSync("SECRET_FILE") } }];
    } };`,
  }, async (t) => {
    await waitFor(
      () => /Requires read access/.test(lastErrors(t)),
      "the denial to be reported",
      30_000,
    );
    assertMatch(lastErrors(t), /Requires read access to ".*secret\.txt"/);
  }, `permissions = { read = ["ROOT_DIR/bad"] }\n`);
});

Deno.test("hostile plugin shipping a symlink out of its directory is refused before it runs", async () => {
  const root = await Deno.makeTempDir({ prefix: "sextant-hostile-" });
  await Deno.writeTextFile(join(root, "secret.txt"), SECRET);
  const dir = await writePlugin(root, "bad", MODULE, {
    "mod.ts": `export default { collect() {
      return [{ name: "leak", value: 1, attributes: { s: Deno.readTextFileSync(new URL("./up/secret.txt", import.meta.url)) } }];
    } };`,
  });
  await Deno.symlink(root, join(dir, "up"));
  const t = await startAgent(root, SOURCE + `permissions = { read = false }\n`);
  try {
    await waitFor(() => t.plugin().state === "refused", "the refusal", 10_000);
    assertMatch(
      String(t.plugin().last_error),
      /up is a symlink to .*, outside the plugin directory; copy the file in instead/,
    );
    await steadyKeepsReporting(t);
    const metrics = await t.metrics();
    assert(!/bad_leak/.test(metrics), "the plugin never ran");
    assert(!metrics.includes(SECRET) && !t.logs.join("\n").includes(SECRET), "no secret");
  } finally {
    await t.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("hostile plugin reading an environment variable it was not granted is denied", async () => {
  await contain(MODULE + `[permissions]\nenv = ["HOME"]\n`, {
    "mod.ts": `export default { collect() {
      return [{ name: "leak", value: 1, attributes: { s: Deno.env.get("SEXTANT_TEST_PLUGIN_SECRET") ?? "" } }];
    } };`,
  }, async (t) => {
    await waitFor(
      () => /Requires env access/.test(lastErrors(t)),
      "the denial to be reported",
      30_000,
    );
    assertMatch(lastErrors(t), /Requires env access to "SEXTANT_TEST_PLUGIN_SECRET"/);
  });
});

Deno.test("hostile plugin spawning a process is denied", async () => {
  await contain(MODULE, {
    "mod.ts": `export default { collect() {
      new Deno.Command("/bin/sh", { args: ["-c", "echo pwned"] }).outputSync();
      return [];
    } };`,
  }, async (t) => {
    await waitFor(
      () => /Requires run access/.test(lastErrors(t)),
      "the denial to be reported",
      30_000,
    );
    assertMatch(lastErrors(t), /collect\(\) failed: .*Requires run access to "\/bin\/sh"/);
  });
});

Deno.test("hostile plugin connecting to a port it was not granted is denied, even one its manifest asks for", async () => {
  const allowed = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("no"),
  );
  const a = allowed.addr.port;
  const b = other.addr.port;
  try {
    await contain(
      MODULE + `[permissions]\nnet = ["127.0.0.1:${a}", "127.0.0.1:${b}"]\n`,
      {
        "mod.ts": `export default { async collect() {
          const ok = await fetch("http://127.0.0.1:${a}/"); await ok.body?.cancel();
          const out = [{ name: "allowed", value: ok.status }];
          await fetch("http://127.0.0.1:${b}/");
          return out;
        } };`,
      },
      async (t) => {
        await waitFor(
          () => /Requires net access/.test(lastErrors(t)),
          "the denial to be reported",
          30_000,
        );
        assertMatch(lastErrors(t), new RegExp(`Requires net access to "127\\.0\\.0\\.1:${b}"`));
        assertEquals(t.plugin().permissions, `net=127.0.0.1:${a}`);
      },
      `permissions = { net = ["127.0.0.1:${a}"] }\n`,
    );
  } finally {
    await allowed.shutdown();
    await other.shutdown();
  }
});

Deno.test("hostile plugin importing an npm package cannot make the host download it", async () => {
  await contain(MODULE, {
    "mod.ts": `import pad from "npm:left-pad-sextant-never-cached@1.3.0";
      export default { collect: () => [{ name: "x", value: pad.length }] };`,
  }, async (t) => {
    await waitFor(() => Number(t.plugin().restarts) >= 1, "the plugin to be restarted", 30_000);
    assertMatch(String(t.plugin().last_error), /failed to start: .*left-pad-sextant-never-cached/);
    assertMatch(String(t.plugin().last_error), /cache|cached-only|not found/i);
  });
});

Deno.test("hostile plugin importing a remote URL cannot make the host fetch it", async () => {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    requests.push(req.url);
    return new Response("export default 1;", {
      headers: { "content-type": "application/javascript" },
    });
  });
  try {
    await contain(MODULE + `[permissions]\nnet = ["127.0.0.1:${server.addr.port}"]\n`, {
      "mod.ts": `import evil from "http://127.0.0.1:${server.addr.port}/evil.js";
        export default { collect: () => [{ name: "x", value: evil }] };`,
    }, async (t) => {
      await waitFor(() => Number(t.plugin().restarts) >= 1, "the plugin to be restarted", 30_000);
      assertMatch(
        String(t.plugin().last_error),
        new RegExp(
          `failed to start: Requires import access to "127\\.0\\.0\\.1:${server.addr.port}"`,
        ),
      );
    });
    assertEquals(requests, [], "the host never fetched the remote module");
  } finally {
    await server.shutdown();
  }
});

Deno.test("hostile plugin looping forever is killed on timeout and restarted", async () => {
  await contain(MODULE, {
    "mod.ts": `export default { collect() { for (;;) {} } };`,
  }, async (t) => {
    await waitFor(() => Number(t.plugin().restarts) >= 1, "the plugin to be restarted", 30_000);
    assertMatch(
      String(t.plugin().last_restart_reason),
      /did not finish within the timeout; host killed/,
    );
  });
});

Deno.test("hostile plugin allocating memory without end costs only its host", async () => {
  await contain(MODULE, {
    "mod.ts": `const keep = []; export default { collect() {
      for (;;) keep.push(new Array(1e6).fill(Math.random()));
    } };`,
  }, async (t) => {
    await waitFor(() => Number(t.plugin().restarts) >= 1, "the plugin to be restarted", 30_000);
    // V8 aborts the host at its heap limit (or the timeout kills it first, on a slow machine).
    assertMatch(
      String(t.plugin().last_restart_reason),
      /was killed by SIG|exited with code|out of memory|did not finish within the timeout/i,
    );
  });
});

Deno.test("hostile plugin throwing in collect is reported per collection", async () => {
  await contain(MODULE, {
    "mod.ts": `export default { collect() { throw new TypeError("boom from plugin"); } };`,
  }, async (t) => {
    await waitFor(() => /boom from plugin/.test(lastErrors(t)), "the error to be reported", 30_000);
    assertMatch(lastErrors(t), /plugin "bad": collect\(\) failed: boom from plugin/);
  });
});

Deno.test("hostile plugin throwing at load is restarted, then quarantined", async () => {
  await contain(
    MODULE,
    { "mod.ts": `throw new Error("broken at import"); export default { collect: () => [] };` },
    async (t) => {
      await waitFor(
        () => t.plugin().state === "quarantined",
        "the plugin to be quarantined",
        30_000,
      );
      assertMatch(String(t.plugin().last_error), /failed to start: .*broken at import/);
      await waitFor(
        () => /quarantined after 3 failures/.test(lastErrors(t)),
        "quarantine reported",
        10_000,
      );
    },
    `max_restarts = 2\n`,
  );
});

Deno.test("hostile exec plugin printing garbage keeps its good lines and reports the bad ones", async () => {
  await contain(
    `version = "1.0.0"\nkind = "exec"\nentry = "run.sh"\napi_version = "^1"\nformat = "json"\n`,
    {
      "run.sh":
        `#!/bin/sh\nprintf '\\001\\002garbage\\n{"name":"good","value":3}\\n{"name":1}\\n'\n`,
    },
    async (t) => {
      await waitFor(
        () => /json output line 1/.test(lastErrors(t)),
        "bad lines to be reported",
        30_000,
      );
      assertMatch(lastErrors(t), /json output line 3/);
      await waitFor(
        async () => /bad_good 3/.test(await t.metrics()),
        "the good line exported",
        5_000,
      );
    },
  );
});

Deno.test("hostile exec plugin printing gigabytes is killed at the output cap", async () => {
  await contain(`version = "1.0.0"\nkind = "exec"\nentry = "run.sh"\napi_version = "^1"\n`, {
    "run.sh": `#!/bin/sh\nexec yes 1\n`,
  }, async (t) => {
    await waitFor(
      () => /printed more than 65536 bytes/.test(lastErrors(t)),
      "the flood reported",
      30_000,
    );
  }, `max_output = 65536\n`);
});

Deno.test("hostile exec daemon flooding its output is killed and restarted", async () => {
  await contain(
    `version = "1.0.0"\nkind = "exec"\nmode = "daemon"\nentry = "run.sh"\napi_version = "^1"\n`,
    {
      "run.sh": `#!/bin/sh\nread -r _\nexec yes '{"name":"x","value":1}'\n`,
    },
    async (t) => {
      await waitFor(() => Number(t.plugin().restarts) >= 1, "the daemon to be restarted", 30_000);
      assertMatch(String(t.plugin().last_restart_reason), /printed more than 65536 bytes/);
    },
    `max_output = 65536\n`,
  );
});

Deno.test("hostile exec daemon that exits is restarted with backoff", async () => {
  await contain(
    `version = "1.0.0"\nkind = "exec"\nmode = "daemon"\nentry = "run.sh"\napi_version = "^1"\n`,
    {
      "run.sh": `#!/bin/sh\necho "dying now" >&2\nexit 4\n`,
    },
    async (t) => {
      await waitFor(
        () => Number(t.plugin().restarts) >= 2,
        "the daemon to be restarted twice",
        30_000,
      );
      assertMatch(
        String(t.plugin().last_restart_reason),
        /the daemon exited with code 4: "dying now"/,
      );
    },
  );
});

/** Successful collections (no errors) the bad source made, counted while waiting. */
async function goodCollections(t: TestAgent, n: number): Promise<void> {
  const seen = new Set<number>();
  await waitFor(
    () => {
      const s = t.agent.status().sources.find((x) => x.name === "bad")!;
      if (s.last_errors.length === 0 && s.collections > 0) seen.add(s.collections);
      return seen.size >= n;
    },
    `${n} good collections of the bad source`,
    30_000,
  );
}

Deno.test("hostile python plugin printing a stderr line over 64 KiB keeps collecting", async () => {
  await contain(`version = "1.0.0"\nkind = "python"\nentry = "p.py"\napi_version = "^1"\n`, {
    "p.py":
      `def collect(options):\n    print("x" * 100000)\n    print("debug")\n    return [{"name": "n", "value": 1}]\n`,
  }, async (t) => {
    await goodCollections(t, 3);
    assertEquals(t.plugin().restarts, 0);
    assertEquals(t.plugin().state, "running");
    assertMatch(await t.metrics(), /bad_n 1/);
  });
});

Deno.test("hostile exec daemon flooding stderr with long lines keeps running", async () => {
  await contain(
    `version = "1.0.0"\nkind = "exec"\nmode = "daemon"\nentry = "run.sh"\napi_version = "^1"\nformat = "json"\n`,
    {
      "run.sh": `#!/bin/sh
while read -r _; do
  head -c 300000 /dev/zero | tr '\\0' 'e' >&2
  echo >&2
  yes 'stderr line' | head -n 2000 >&2
  echo '{"name":"a","value":1}'
  echo
done
`,
    },
    async (t) => {
      await goodCollections(t, 3);
      assertEquals(t.plugin().restarts, 0);
      assertEquals(t.plugin().state, "running");
      assertMatch(await t.metrics(), /bad_a 1/);
    },
  );
});

Deno.test("hostile python plugin allocating past its memory_limit is stopped by prlimit and reported", async () => {
  await contain(`version = "1.0.0"\nkind = "python"\nentry = "p.py"\napi_version = "^1"\n`, {
    "p.py":
      `def collect(options):\n    hog = bytearray(512 * 1024 * 1024)\n    return [{"name": "x", "value": len(hog)}]\n`,
  }, async (t) => {
    await waitFor(
      () => /MemoryError/.test(lastErrors(t)),
      "the allocation failure reported",
      30_000,
    );
    assertMatch(lastErrors(t), /plugin "bad": collect\(\) raised MemoryError/);
    assertEquals(t.plugin().state, "running");
  }, `memory_limit = 128\n`);
});

Deno.test("hostile exec plugin crashing on every run opens its breaker, is not run while open, and closes once fixed", async () => {
  await contain(
    `version = "1.0.0"\nkind = "exec"\nentry = "run.sh"\napi_version = "^1"\nformat = "json"\n`,
    {
      "run.sh": `#!/bin/sh
echo run >> "SECRET_FILE.runs"
if [ -f "SECRET_FILE.ok" ]; then echo '{"name":"fixed","value":1}'; exit 0; fi
echo "segfault (simulated)" >&2
exit 139
`,
    },
    async (t, root) => {
      const bad = () => t.agent.status().sources.find((x) => x.name === "bad")!;
      await waitFor(() => bad().breaker?.state === "open", "the breaker to open", 30_000);
      assertMatch(lastErrors(t), /code 139/);
      const runs = async () =>
        (await Deno.readTextFile(join(root, "secret.txt.runs"))).trim().split("\n").length;
      const whenOpened = await runs();
      await waitFor(() => bad().skipped_open >= 1, "a tick skipped while open", 30_000);
      assertEquals(await runs(), whenOpened, "the plugin ran while its breaker was open");
      // Self-metric gauges are refreshed at most once a second: wait for a snapshot after the trip.
      await waitFor(
        async () =>
          /^sextant_source_breaker_transitions_total\{source="bad",type="plugin"\} [1-9]/m.test(
            await t.metrics(),
          ),
        "the breaker transition in the self-metrics",
        10_000,
      );
      await Deno.writeTextFile(join(root, "secret.txt.ok"), "");
      await waitFor(() => bad().breaker?.state === "closed", "the breaker to close", 30_000);
      await waitFor(async () => /bad_fixed 1/.test(await t.metrics()), "the fixed value", 5_000);
      assert(t.logs.some((l) => l.includes("circuit breaker opened")));
      assert(t.logs.some((l) => l.includes("circuit breaker closed")));
    },
    `breaker = { failure_threshold = 2, cooldown = "1500ms", jitter = 0 }\n`,
  );
});

Deno.test("hostile exec plugin crashing after printing a sample fails the whole collection and opens its breaker", async () => {
  await contain(
    `version = "1.0.0"\nkind = "exec"\nentry = "run.sh"\napi_version = "^1"\nformat = "json"\n`,
    {
      // A sample, then a crash: without a whole-collection failure this would count as partial.
      "run.sh": `#!/bin/sh
echo '{"name":"half","value":1}'
kill -SEGV $$
`,
    },
    async (t) => {
      const bad = () => t.agent.status().sources.find((x) => x.name === "bad")!;
      await waitFor(() => bad().breaker?.state === "open", "the breaker to open", 30_000);
      assertMatch(lastErrors(t), /plugin "bad": the plugin was killed by SIGSEGV/);
      assertEquals(bad().state, "failed");
      assert(t.logs.some((l) => l.includes("circuit breaker opened")));
    },
    `breaker = { failure_threshold = 2, cooldown = "30s", jitter = 0 }\n`,
  );
});
