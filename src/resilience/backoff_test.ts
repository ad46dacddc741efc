import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { Backoff } from "./mod.ts";

Deno.test("Backoff grows exponentially up to its cap", () => {
  const b = new Backoff({ initial: 100, max: 1000, multiplier: 2, jitter: 0 });
  assertEquals([0, 1, 2, 3, 4, 20].map((n) => b.delay(n)), [100, 200, 400, 800, 1000, 1000]);
});

Deno.test("Backoff spreads delays by the jitter and never exceeds the cap", () => {
  const lo = new Backoff({ initial: 1000, max: 1100, jitter: 0.5, random: () => 0 });
  const hi = new Backoff({ initial: 1000, max: 1100, jitter: 0.5, random: () => 0.9999 });
  assertEquals(lo.delay(0), 500);
  assertEquals(hi.delay(0), 1100);
  const real = new Backoff({ initial: 1000, jitter: 0.2 });
  for (let i = 0; i < 100; i++) {
    const d = real.delay(0);
    if (d < 800 || d > 1200) throw new Error(`delay ${d} outside ±20%`);
  }
});

Deno.test("Backoff rejects bad options with a clear message", () => {
  assertThrows(
    () => new Backoff({ initial: 0 }),
    RangeError,
    "'initial' must be a positive number: current value is 0",
  );
  assertThrows(() => new Backoff({ jitter: 2 }), RangeError, "'jitter' must be between 0 and 1");
  assertThrows(
    () => new Backoff({ multiplier: 0.5 }),
    RangeError,
    "'multiplier' must be at least 1",
  );
});
