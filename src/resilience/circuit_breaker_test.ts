import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { FakeClock } from "../core/mod.ts";
import { type BreakerTransition, CircuitBreaker } from "./mod.ts";

const noJitter = { jitter: 0, random: () => 0.5 };

Deno.test("CircuitBreaker opens after N consecutive failures and blocks calls", () => {
  const clock = new FakeClock(0);
  const b = new CircuitBreaker(clock, { failureThreshold: 3, cooldown: 1000, ...noJitter });
  for (let i = 0; i < 2; i++) {
    assert(b.allow());
    b.failure();
  }
  assertEquals(b.state, "closed");
  b.success(); // resets the run
  for (let i = 0; i < 3; i++) {
    assert(b.allow());
    b.failure();
  }
  assertEquals(b.state, "open");
  assertEquals(b.allow(), false);
  assertEquals(b.snapshot().retry_at, 1000);
});

Deno.test("CircuitBreaker lets one probe through when half-open, and its success closes it", () => {
  const clock = new FakeClock(0);
  const seen: BreakerTransition[] = [];
  const b = new CircuitBreaker(clock, { failureThreshold: 1, cooldown: 1000, ...noJitter });
  b.onTransition((t) => seen.push(t));
  b.allow();
  b.failure();
  clock.jump(999);
  assertEquals(b.allow(), false);
  clock.jump(1);
  assertEquals(b.state, "half_open");
  assert(b.allow());
  assertEquals(b.allow(), false, "only one probe at a time");
  b.success();
  assertEquals(b.state, "closed");
  assertEquals(seen.map((t) => `${t.from}>${t.to}:${t.reason}`), [
    "closed>open:failures",
    "open>half_open:cooldown elapsed",
    "half_open>closed:probe succeeded",
  ]);
  assertEquals(seen[0].cooldownMs, 1000);
});

Deno.test("CircuitBreaker grows its cooldown on repeated trips up to the cap", () => {
  const clock = new FakeClock(0);
  const b = new CircuitBreaker(clock, {
    failureThreshold: 1,
    cooldown: 1000,
    maxCooldown: 3000,
    ...noJitter,
  });
  const cooldowns: number[] = [];
  b.onTransition((t) => t.cooldownMs !== undefined && cooldowns.push(t.cooldownMs));
  b.allow();
  b.failure();
  for (let i = 0; i < 3; i++) {
    clock.jump(cooldowns.at(-1)!);
    assert(b.allow());
    b.failure();
  }
  assertEquals(cooldowns, [1000, 2000, 3000, 3000]);
  assertEquals(b.snapshot().trips, 4);
  // A success resets the growth.
  clock.jump(3000);
  b.allow();
  b.success();
  b.allow();
  b.failure();
  assertEquals(cooldowns.at(-1), 1000);
});

Deno.test("CircuitBreaker jitters the cooldown within the configured spread", () => {
  const clock = new FakeClock(0);
  for (const [r, want] of [[0, 800], [0.999999, 1200], [0.5, 1000]] as const) {
    const b = new CircuitBreaker(clock, {
      failureThreshold: 1,
      cooldown: 1000,
      jitter: 0.2,
      random: () => r,
    });
    let got = -1;
    b.onTransition((t) => (got = t.cooldownMs ?? got));
    b.failure();
    assertEquals(got, want);
  }
});

Deno.test("CircuitBreaker opens on a failure ratio over a full window", () => {
  const clock = new FakeClock(0);
  const b = new CircuitBreaker(clock, {
    failureThreshold: 100,
    failureRatio: 0.5,
    window: 4,
    ...noJitter,
  });
  b.failure();
  b.success();
  b.failure();
  assertEquals(b.state, "closed", "window not yet full");
  b.success();
  assertEquals(b.state, "closed");
  b.failure();
  assertEquals(b.state, "open");
  assertEquals(b.snapshot().last_transition?.reason, "ratio");
  assertEquals(b.snapshot().failure_ratio, 0.5);
});

Deno.test("CircuitBreaker reopens when the probe fails, and reset closes it", () => {
  const clock = new FakeClock(0);
  const b = new CircuitBreaker(clock, { failureThreshold: 1, cooldown: 10, ...noJitter });
  b.failure();
  clock.jump(10);
  assert(b.allow());
  b.failure();
  assertEquals(b.state, "open");
  assertEquals(b.snapshot().last_transition?.reason, "probe failed");
  b.reset();
  assertEquals(b.state, "closed");
  assertEquals(b.transitions, 4);
});

Deno.test("CircuitBreaker rejects bad options with a clear message", () => {
  const clock = new FakeClock(0);
  assertThrows(
    () => new CircuitBreaker(clock, { failureThreshold: 0 }),
    RangeError,
    "'failureThreshold' is out of range: current value is 0",
  );
  assertThrows(
    () => new CircuitBreaker(clock, { failureRatio: 1.5 }),
    RangeError,
    "'failureRatio' is out of range",
  );
  assertThrows(() => new CircuitBreaker(clock, { cooldown: -1 }), RangeError, "'initial'");
});
