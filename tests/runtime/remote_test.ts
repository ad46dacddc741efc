/**
 * `deno run --import-map <URL>/deno.json <URL>/main.ts`: the checkout is
 * served over loopback HTTP as a user's web server would serve it, and run
 * from an empty directory, so nothing local (node_modules, deno.json) helps.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { DENO, ROOT, runCommand, SMOKE_CONFIG } from "./helpers.ts";

const TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".json": "application/json",
  ".toml": "text/plain; charset=utf-8",
};

Deno.test("deno run from a URL with --import-map runs once", async () => {
  const served: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..") || path.startsWith("/node_modules")) {
      return new Response("no", { status: 403 });
    }
    const ext = path.slice(path.lastIndexOf("."));
    try {
      const body = await Deno.readFile(`${ROOT}${path}`);
      served.push(path);
      return new Response(body, {
        headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const cwd = await Deno.makeTempDir({ prefix: "sextant-remote-" });
  try {
    const r = await runCommand(
      [
        DENO,
        "run",
        "--allow-all",
        "--reload=" + base,
        "--import-map",
        `${base}/deno.json`,
        `${base}/main.ts`,
        "once",
        "--format",
        "json",
        "-c",
        SMOKE_CONFIG,
      ],
      {
        cwd,
        timeoutMs: 240_000,
        env: { HOME: Deno.env.get("HOME") ?? "/root", PATH: Deno.env.get("PATH") ?? "" },
      },
    );
    assertEquals(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assertEquals(
      out.samples.find((s: { name: string }) => s.name === "smoke_cmd.answer").value,
      42,
    );
    assertEquals(served.includes("/src/cli/mod.ts"), true);
    const v = await runCommand([
      DENO,
      "run",
      "--allow-all",
      "--import-map",
      `${base}/deno.json`,
      `${base}/main.ts`,
      "version",
    ], { cwd });
    assertMatch(v.stdout, /^sextant \d+\.\d+\.\d+ \(deno /);
  } finally {
    await server.shutdown();
    await Deno.remove(cwd, { recursive: true });
  }
});
