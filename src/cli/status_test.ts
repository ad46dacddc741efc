import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  waitFor,
} from "../../tests/assert.ts";
import { type Platform, systemClock } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { type CliIO, EXIT, main } from "./mod.ts";

function io(stop?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIO = {
    platform: platform as Platform,
    clock: systemClock,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    stop,
  };
  return { cli, out, err, text: () => out.join("\n"), errText: () => err.join("\n") };
}

Deno.test("cli status shows a running instance's sources, breakers and problems", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-status-" });
  const file = `${dir}/s.toml`;
  await Deno.writeTextFile(
    file,
    `[custom_metrics.agent]
jitter = 0

[custom_metrics.admin]
listen = "127.0.0.1:0"
token = "status-token-1234"

[[custom_metrics.exporters]]
type = "prometheus"
listen = "127.0.0.1:0"

[[custom_metrics.sources]]
name = "broken"
type = "command"
command = ["sh", "-c", "echo 'no route to db' >&2; exit 3"]
interval = "100ms"
breaker = { failure_threshold = 2, cooldown = "1h" }

[[custom_metrics.sources]]
name = "good"
type = "command"
command = ["sh", "-c", "echo 7"]
format = "number"
interval = "100ms"
`,
  );
  const stop = new AbortController();
  const run = io(stop.signal);
  const running = main(["run", "-c", file], run.cli);
  try {
    const admin = await waitFor(
      () => run.err.map((l) => /admin API listening url=(\S+?)\/?$/.exec(l)?.[1]).find(Boolean),
      "admin URL",
    );
    await waitFor(async () => {
      const r = await fetch(`${admin}/status`, {
        headers: { authorization: "Bearer status-token-1234" },
      });
      const st = await r.json();
      return st.sources.find((s: { name: string; breaker?: { state: string } }) =>
        s.name === "broken"
      )?.breaker?.state === "open";
    }, "the breaker to open");

    const a = io();
    assertEquals(
      await main(["status", "--url", admin, "--token", "status-token-1234"], a.cli),
      EXIT.OK,
    );
    const text = a.text();
    assertMatch(text, /^sextant \S+ on (deno|bun) .* ready$/m);
    assertMatch(text, /^event loop: lag p99 [\d.]+ ms/m);
    assertMatch(text, /broken: circuit breaker open after 2 failures/);
    assertMatch(text, /^ {2}broken +failed +open /m);
    assertMatch(text, /^ {2}good +ok +closed /m);
    assertMatch(text, /the command exited with code 3/);

    const j = io();
    assertEquals(
      await main(
        ["status", "--url", admin, "--token", "status-token-1234", "--format", "json"],
        j.cli,
      ),
      EXIT.OK,
    );
    assertEquals(JSON.parse(j.text()).sources.length, 2);
    assert(!j.text().includes("status-token-1234"), "the admin token reached /status");
    assert(!a.text().includes("status-token-1234"), "the admin token reached the status view");

    const noToken = io();
    assertEquals(await main(["status", "--url", admin], noToken.cli), EXIT.FAILURE);
    assertStringIncludes(
      noToken.errText(),
      "wants a token: pass --token or set SEXTANT_ADMIN_TOKEN",
    );
  } finally {
    stop.abort();
  }
  assertEquals(await running, EXIT.OK);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli status reports an instance that is not running, and a bad --format", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const a = io();
  assertEquals(await main(["status", "--url", `http://127.0.0.1:${port}`], a.cli), EXIT.FAILURE);
  assertMatch(
    a.errText(),
    new RegExp(
      `cannot reach the admin API at http://127.0.0.1:${port}: .+ \\(is "sextant run" running\\?\\)`,
    ),
  );
  const b = io();
  assertEquals(await main(["status", "--format", "prom"], b.cli), EXIT.USAGE);
  assertStringIncludes(b.errText(), "'--format' must be text or json: current value is \"prom\"");
  const c = io();
  assertEquals(await main(["validate", "--url", "http://x"], c.cli), EXIT.USAGE);
  assertStringIncludes(c.errText(), '--url and --token apply to "status" only');
});

Deno.test("cli status finds the admin address in the config and reports it when nothing listens", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const dir = await Deno.makeTempDir({ prefix: "sextant-status-" });
  await Deno.writeTextFile(
    `${dir}/a.toml`,
    `[custom_metrics.admin]\nlisten = "0.0.0.0:${port}"\ntoken = "cfg-token-5678"\n`,
  );
  const a = io();
  assertEquals(await main(["status", "-c", `${dir}/a.toml`], a.cli), EXIT.FAILURE);
  assertStringIncludes(a.errText(), `cannot reach the admin API at http://127.0.0.1:${port}`);
  const b = io();
  assertEquals(await main(["status", "--url", "not a url"], b.cli), EXIT.USAGE);
  assertStringIncludes(b.errText(), "'--url' must be an http URL");
  await Deno.writeTextFile(`${dir}/bad.toml`, `[custom_metrics.admin]\nlisten = 5\n`);
  const c = io();
  assertEquals(await main(["status", "-c", `${dir}/bad.toml`], c.cli), EXIT.FAILURE);
  assertStringIncludes(c.errText(), "custom_metrics.admin.listen");
  await Deno.remove(dir, { recursive: true });
});
