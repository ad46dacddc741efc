import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { type Platform, systemClock } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { type CliIO, EXIT, main } from "./mod.ts";

const SECRET = "Zq7-interpolated-Secret-4711";

function io(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIO = {
    platform: { ...platform, env: (n: string) => env[n] } as Platform,
    clock: systemClock,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
  };
  return { cli, all: () => [...out, ...err].join("\n"), out, err };
}

Deno.test("config print and validate never show interpolated values unless declared public", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-print-" });
  try {
    await Deno.writeTextFile(`${dir}/tok`, `${SECRET}-file\n`);
    await Deno.writeTextFile(
      `${dir}/a.toml`,
      `public_env = ["REGION"]
[[custom_metrics.sources]]
name = "api"
type = "http"
url = "https://\${REGION}.example/health?key=\${API_KEY}"
headers = { "X-Custom" = "\${file:tok}" }
`,
    );
    const env = { REGION: "eu-west-7", API_KEY: SECRET };
    const print = io(env);
    assertEquals(
      await main(["config", "print", "-c", `${dir}/a.toml`, "--resolved"], print.cli),
      EXIT.OK,
      print.all(),
    );
    assert(!print.all().includes(SECRET), print.all());
    assertStringIncludes(print.all(), 'url = "https://eu-west-7.example/health?key=***"');
    assertStringIncludes(print.all(), 'X-Custom = "***"');

    // A secret that fails validation is not quoted in the error either.
    await Deno.writeTextFile(
      `${dir}/b.toml`,
      `[[custom_metrics.sources]]\nname = "api"\ntype = "http"\nurl = "https://x/"\ninterval = "\${API_KEY}"\n`,
    );
    const v = io(env);
    assertEquals(await main(["validate", "-c", `${dir}/b.toml`], v.cli), EXIT.FAILURE);
    assertStringIncludes(v.all(), "custom_metrics.sources[0].interval: ");
    assert(!v.all().includes(SECRET), v.all());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
