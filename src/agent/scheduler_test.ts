import { FakeClock, TimeoutError } from "../core/mod.ts";
import { assert, assertEquals, assertInstanceOf } from "../../tests/assert.ts";
import { Scheduler } from "./scheduler.ts";

Deno.test("Scheduler runs a task at a fixed rate after its jitter offset", async () => {
  const clock = new FakeClock(0);
  const at: number[] = [];
  const s = new Scheduler({ clock, jitter: 500, random: () => 0.5 });
  s.add({
    name: "a",
    interval: 1000,
    timeout: 100,
    run: () => Promise.resolve(void at.push(clock.now())),
  });
  await clock.advance(3300);
  assertEquals(at, [250, 1250, 2250, 3250]);
  await s.stop();
  await clock.advance(5000);
  assertEquals(at.length, 4);
});

Deno.test("Scheduler caps the jitter at the interval", async () => {
  const clock = new FakeClock(0);
  const at: number[] = [];
  const s = new Scheduler({ clock, jitter: 60_000, random: () => 0.999 });
  s.add({
    name: "a",
    interval: 100,
    timeout: 50,
    run: () => Promise.resolve(void at.push(clock.now())),
  });
  await clock.advance(99);
  assertEquals(at, [99]);
  await s.stop();
});

Deno.test("Scheduler skips and counts ticks while a run overruns", async () => {
  const clock = new FakeClock(0);
  const overruns: [string, number][] = [];
  let release!: () => void;
  let runs = 0;
  const s = new Scheduler({ clock, onOverrun: (n, k) => overruns.push([n, k]) });
  s.add({
    name: "slow",
    interval: 100,
    timeout: 10_000,
    run: () => {
      runs++;
      return new Promise<void>((r) => (release = r));
    },
  });
  await clock.advance(0);
  assertEquals(runs, 1);
  assert(s.isRunning("slow"));
  await clock.advance(250); // ticks at 100 and 200 find the run going
  assertEquals(runs, 1);
  assertEquals(overruns, [["slow", 1], ["slow", 1]]);
  release();
  await clock.advance(100); // tick at 300 runs
  assertEquals(runs, 2);
  release();
  await s.stop(0);
});

Deno.test("Scheduler aborts a run with a TimeoutError at its timeout", async () => {
  const clock = new FakeClock(0);
  let reason: unknown;
  const s = new Scheduler({ clock });
  s.add({
    name: "hang",
    interval: 1000,
    timeout: 300,
    run: (signal) =>
      new Promise<void>((resolve) => {
        signal.addEventListener("abort", () => {
          reason = signal.reason;
          resolve();
        });
      }),
  });
  await clock.advance(299);
  assertEquals(reason, undefined);
  await clock.advance(1);
  assertInstanceOf(reason, TimeoutError);
  assertEquals((reason as Error).message, 'collection of "hang" timed out after 300 ms');
  assertEquals(s.isRunning("hang"), false);
  await s.stop();
});

Deno.test("Scheduler keeps running tasks whose run throws", async () => {
  const clock = new FakeClock(0);
  let runs = 0;
  const s = new Scheduler({ clock });
  s.add({
    name: "bad",
    interval: 10,
    timeout: 5,
    run: () => {
      runs++;
      throw new Error("sync throw");
    },
  });
  await clock.advance(35);
  assertEquals(runs, 4);
  await s.stop();
});

Deno.test("Scheduler counts ticks missed while the event loop was blocked", async () => {
  const clock = new FakeClock(0);
  const overruns: number[] = [];
  const at: number[] = [];
  const s = new Scheduler({ clock, onOverrun: (_n, k) => overruns.push(k) });
  s.add({
    name: "a",
    interval: 100,
    timeout: 50,
    run: () => Promise.resolve(void at.push(clock.now())),
  });
  await clock.advance(0);
  clock.jump(350); // ticks due at 100, 200 and 300 could not fire
  await clock.advance(0);
  assertEquals(at, [0, 350]);
  assertEquals(overruns, [2]);
  await clock.advance(50); // back on the grid at 400
  assertEquals(at, [0, 350, 400]);
  await s.stop();
});

Deno.test("Scheduler.stop waits for runs within the grace, then aborts them", async () => {
  const clock = new FakeClock(0);
  let aborted = false;
  const s = new Scheduler({ clock });
  s.add({
    name: "long",
    interval: 1000,
    timeout: 60_000,
    run: (signal) =>
      new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(void (aborted = true)))
      ),
  });
  await clock.advance(0);
  const stopping = s.stop(500);
  await clock.advance(499);
  assertEquals(aborted, false);
  await clock.advance(1);
  await stopping;
  assertEquals(aborted, true);
  assertEquals(s.names, []);
});

Deno.test("Scheduler.remove unschedules one task and replaces by name", async () => {
  const clock = new FakeClock(0);
  const seen: string[] = [];
  const s = new Scheduler({ clock });
  s.add({
    name: "a",
    interval: 100,
    timeout: 50,
    run: () => Promise.resolve(void seen.push("a1")),
  });
  s.add({ name: "b", interval: 100, timeout: 50, run: () => Promise.resolve(void seen.push("b")) });
  s.add({
    name: "a",
    interval: 100,
    timeout: 50,
    run: () => Promise.resolve(void seen.push("a2")),
  });
  await clock.advance(0);
  await s.remove("b");
  await s.remove("missing");
  await clock.advance(100);
  assertEquals(seen.sort(), ["a2", "a2", "b"]);
  assertEquals(s.names, ["a"]);
  await s.stop();
  s.add({ name: "late", interval: 10, timeout: 5, run: () => Promise.resolve() });
  assertEquals(s.names, []);
});

Deno.test("Scheduler aborts a hung run whose timeout equals its interval before the next tick", async () => {
  const clock = new FakeClock(0);
  const overruns: number[] = [];
  let runs = 0;
  const s = new Scheduler({ clock, onOverrun: (_n, k) => overruns.push(k) });
  s.add({
    name: "hang",
    interval: 100,
    timeout: 100,
    run: (signal) => {
      runs++;
      return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    },
  });
  // Every tick fires 5 ms late, as real timers do under load.
  for (let i = 0; i < 10; i++) {
    clock.jump(5);
    await clock.advance(95);
  }
  assertEquals([runs, overruns], [11, []]);
  await s.stop();
});

Deno.test("Scheduler counts a huge clock jump arithmetically", async () => {
  const clock = new FakeClock(0);
  const overruns: number[] = [];
  const s = new Scheduler({ clock, onOverrun: (_n, k) => overruns.push(k) });
  s.add({ name: "a", interval: 100, timeout: 50, run: () => Promise.resolve() });
  await clock.advance(0);
  clock.jump(1e12); // a box that booted without an RTC, then synced
  await clock.advance(0);
  assertEquals(overruns, [1e10 - 1]);
  await s.stop();
});
