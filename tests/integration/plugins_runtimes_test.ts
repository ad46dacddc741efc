/**
 * The example plugins through the real CLI, as subprocesses: under
 * `deno run`, under Bun (which refuses untrusted module plugins), as a
 * Bun-compiled binary that re-executes itself as the plugin host, and
 * under `deno run` from a URL (whose host may not download anything).
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { BUN, DENO, ROOT, runCommand } from "../runtime/helpers.ts";

type Out = {
  samples: { name: string; value: number }[];
  errors: { source: string; message: string }[];
};

/** A loopback server for the TypeScript example to fetch. */
function target() {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
}

async function config(port: number, opts: { trusted?: boolean } = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sextant-plugins-rt-" });
  const file = join(dir, "sextant.toml");
  await Deno.writeTextFile(
    file,
    `[custom_metrics]
plugin_directories = ["${ROOT}/plugins"]
[custom_metrics.admin]
enabled = false
[[custom_metrics.sources]]
name = "web"
type = "plugin"
plugin = "hello_http"
options = { url = "http://127.0.0.1:${port}/health" }
permissions = { net = ["127.0.0.1:${port}"] }
trusted = ${opts.trusted ?? false}
[[custom_metrics.sources]]
name = "disk"
type = "plugin"
plugin = "disk_shell"
[[custom_metrics.sources]]
name = "py"
type = "plugin"
plugin = "py_random"
options = { samples = 3 }
[[custom_metrics.sources]]
name = "daemon"
type = "plugin"
plugin = "counter_daemon"
`,
  );
  return file;
}

function value(out: Out, name: string): number | undefined {
  return out.samples.find((s) => s.name === name)?.value;
}

function assertExamplesRan(out: Out, opts: { web: boolean }) {
  if (opts.web) {
    assertEquals(value(out, "web.up"), 1);
    assertEquals(value(out, "web.status"), 200);
  }
  assert((value(out, "disk.disk_free_bytes") ?? 0) > 0, "shell example reported free bytes");
  assertEquals(out.samples.filter((s) => s.name === "py.random").length, 3);
  assertEquals(value(out, "daemon.requests"), 1);
}

Deno.test("plugin examples of every kind run under deno run", async () => {
  const server = target();
  const file = await config(server.addr.port);
  try {
    const r = await runCommand([
      DENO,
      "run",
      "-A",
      `${ROOT}/main.ts`,
      "once",
      "--format",
      "json",
      "-c",
      file,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const out: Out = JSON.parse(r.stdout);
    assertEquals(out.errors, []);
    assertExamplesRan(out, { web: true });
    const list = await runCommand([
      DENO,
      "run",
      "-A",
      `${ROOT}/main.ts`,
      "plugins",
      "list",
      "-c",
      file,
    ]);
    assertEquals(list.code, 0, list.stderr);
    assertMatch(list.stdout, /^hello_http\s+1\.0\.0\s+module\s+net=127\.0\.0\.1 /m);
    const bad = await runCommand([
      DENO,
      "run",
      "-A",
      `${ROOT}/main.ts`,
      "plugins",
      "check",
      `${ROOT}/src`,
    ]);
    assertEquals([bad.code, bad.stderr.trim()], [1, "no plugins found"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("plugin sandbox is refused on Bun unless the operator trusts the plugin", async () => {
  const server = target();
  try {
    const refused = await runCommand([
      BUN,
      `${ROOT}/main.ts`,
      "once",
      "--format",
      "json",
      "-c",
      await config(server.addr.port),
    ]);
    assertEquals(refused.code, 1, refused.stderr);
    const out: Out = JSON.parse(refused.stdout);
    assertMatch(
      out.errors.find((e) => e.source === "web")!.message,
      /plugin "hello_http" refused: bun cannot enforce a module plugin's permissions; run Sextant on Deno, or set trusted = true in source "web"/,
    );
    assertExamplesRan(out, { web: false });

    const trusted = await runCommand([
      BUN,
      `${ROOT}/main.ts`,
      "once",
      "--format",
      "json",
      "-c",
      await config(server.addr.port, { trusted: true }),
    ]);
    assertEquals(trusted.code, 0, trusted.stderr);
    assertExamplesRan(JSON.parse(trusted.stdout), { web: true });
  } finally {
    await server.shutdown();
  }
});

Deno.test("plugin host runs inside the bun-compiled binary", async () => {
  const server = target();
  const dir = await Deno.makeTempDir({ prefix: "sextant-plugin-bin-" });
  try {
    const bin = `${dir}/sextant`;
    const build = await runCommand(
      [BUN, "build", "--compile", "--outfile", bin, `${ROOT}/main.ts`],
      {
        timeoutMs: 180_000,
      },
    );
    assertEquals(build.code, 0, build.stderr + build.stdout);
    const r = await runCommand([
      bin,
      "once",
      "--format",
      "json",
      "-c",
      await config(server.addr.port, { trusted: true }),
    ], {
      cwd: dir,
    });
    assertEquals(r.code, 0, r.stderr);
    assertExamplesRan(JSON.parse(r.stdout), { web: true });
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plugin host runs under deno run from a URL, loading only what is cached", async () => {
  const server = target();
  const served: string[] = [];
  const files = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..") || path.startsWith("/node_modules")) {
      return new Response("no", { status: 403 });
    }
    try {
      const body = await Deno.readFile(`${ROOT}${path}`);
      served.push(path);
      const type = path.endsWith(".json") ? "application/json" : "application/typescript";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const base = `http://127.0.0.1:${files.addr.port}`;
  const cwd = await Deno.makeTempDir({ prefix: "sextant-plugin-url-" });
  try {
    const r = await runCommand([
      DENO,
      "run",
      "--allow-all",
      `--reload=${base}`,
      "--import-map",
      `${base}/deno.json`,
      `${base}/main.ts`,
      "once",
      "--format",
      "json",
      "-c",
      await config(server.addr.port),
    ], { cwd, env: { HOME: Deno.env.get("HOME") ?? "/root", PATH: Deno.env.get("PATH") ?? "" } });
    assertEquals(r.code, 0, r.stderr);
    assertExamplesRan(JSON.parse(r.stdout), { web: true });
    assert(served.includes("/src/plugins/host_main.ts"), "the host module came from the URL");
    // Each module was fetched once, by the collector: the host loaded it from the cache.
    assertEquals(served.filter((p) => p === "/main.ts").length, 1);
  } finally {
    await server.shutdown();
    await files.shutdown();
    await Deno.remove(cwd, { recursive: true });
  }
});
