import { assertEquals } from "../../tests/assert.ts";
import { FakeClock, systemClock } from "./clock.ts";

Deno.test("FakeClock fires timers in time order as it advances", async () => {
  const clock = new FakeClock(100);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("b"), 20);
  clock.setTimeout(() => fired.push("a"), 10);
  const c = clock.setTimeout(() => fired.push("cancelled"), 15);
  clock.clearTimeout(c);
  await clock.advance(15);
  assertEquals(fired, ["a"]);
  assertEquals(clock.now(), 115);
  await clock.advance(10);
  assertEquals(fired, ["a", "b"]);
  assertEquals(clock.pending, 0);
});

Deno.test("FakeClock runs timers that earlier timers schedule", async () => {
  const clock = new FakeClock(0);
  const at: number[] = [];
  const tick = () => {
    at.push(clock.now());
    clock.setTimeout(tick, 10);
  };
  clock.setTimeout(tick, 10);
  await clock.advance(35);
  assertEquals(at, [10, 20, 30]);
});

Deno.test("systemClock wraps the real timers", async () => {
  const t0 = systemClock.now();
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1));
  assertEquals(systemClock.now() >= t0, true);
  const h = systemClock.setTimeout(() => {
    throw new Error("must not fire");
  }, 1);
  systemClock.clearTimeout(h);
});

Deno.test("FakeClock.jump moves time without firing timers", async () => {
  const clock = new FakeClock(0);
  let fired = 0;
  clock.setTimeout(() => fired++, 10);
  clock.jump(100);
  assertEquals([clock.now(), fired], [100, 0]);
  await clock.advance(0);
  assertEquals(fired, 1);
});
