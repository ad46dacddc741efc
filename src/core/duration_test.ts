import { assertEquals } from "../../tests/assert.ts";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration reads numbers as seconds", () => {
  assertEquals(parseDuration(60), { ok: true, ms: 60_000 });
  assertEquals(parseDuration(0.5), { ok: true, ms: 500 });
});

Deno.test("parseDuration reads unit strings and compounds", () => {
  for (
    const [text, ms] of [
      ["500ms", 500],
      ["30s", 30_000],
      ["5m", 300_000],
      ["1h", 3_600_000],
      ["7d", 604_800_000],
      ["1h30m", 5_400_000],
      ["1.5s", 1500],
    ] as const
  ) {
    assertEquals(parseDuration(text), { ok: true, ms }, text);
  }
});

Deno.test("parseDuration rejects garbage with the value in the message", () => {
  for (const bad of ["5 minutes", "", "10", "m5", "-1s", "1y"]) {
    const r = parseDuration(bad);
    assertEquals(r.ok, false, bad);
    if (!r.ok) assertEquals(r.message.includes(JSON.stringify(bad)), true, r.message);
  }
  const neg = parseDuration(-3);
  assertEquals(neg.ok, false);
  const obj = parseDuration({});
  assertEquals(obj, {
    ok: false,
    message: 'expected a duration (seconds or a string like "30s"), found object',
  });
  assertEquals(parseDuration(Number.NaN).ok, false);
});

Deno.test("formatDuration prints compact units", () => {
  assertEquals(formatDuration(0), "0s");
  assertEquals(formatDuration(250), "250ms");
  assertEquals(formatDuration(1500), "1500ms");
  assertEquals(formatDuration(90_000), "1m30s");
  assertEquals(formatDuration(86_400_000 + 3_600_000), "1d1h");
});
