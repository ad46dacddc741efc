/**
 * Runs `promtool check metrics` on exposition text inside a test. Without
 * promtool the step is skipped with a visible reason, or fails under `CI=true`.
 * @module
 */
import { assertEquals } from "../assert.ts";

const CANDIDATES = [Deno.env.get("PROMTOOL"), "/usr/bin/promtool", "/usr/local/bin/promtool"];

function findPromtool(): string | undefined {
  for (const c of CANDIDATES) {
    if (!c) continue;
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch { /* try the next one */ }
  }
  return undefined;
}

/** The promtool binary, if installed. */
export const PROMTOOL: string | undefined = findPromtool();

/** Result of `promtool check metrics`: exit code and combined output (lint problems are printed). */
export async function promtoolCheck(body: string): Promise<{ code: number; output: string }> {
  if (!PROMTOOL) throw new Error("promtool not found");
  const child = new Deno.Command(PROMTOOL, {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(body));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, output: text.trim() };
}

/** A test step asserting that `body` passes `promtool check metrics` with no lint problems. */
export async function assertPromtoolClean(t: Deno.TestContext, body: string): Promise<void> {
  if (!PROMTOOL) {
    if (Deno.env.get("CI") === "true") {
      throw new Error(
        "promtool is required under CI=true: apt-get install -y prometheus (or set PROMTOOL)",
      );
    }
    await t.step({
      name:
        "promtool check metrics: SKIPPED, promtool not found (apt-get install -y prometheus, or set PROMTOOL)",
      ignore: true,
      fn: () => {},
    });
    return;
  }
  await t.step("promtool check metrics passes without lint problems", async () => {
    const r = await promtoolCheck(body);
    assertEquals(
      { code: r.code, output: r.output },
      { code: 0, output: "" },
      `promtool on:\n${body}`,
    );
  });
}
