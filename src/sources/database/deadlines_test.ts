import { assert, assertEquals, assertInstanceOf } from "../../../tests/assert.ts";
import { FakeClock } from "../../core/mod.ts";
import { Deadlines, QueryTimeout } from "./deadlines.ts";

Deno.test("Deadlines aborts each query at its own deadline with one timer", async () => {
  const clock = new FakeClock(0);
  const dl = new Deadlines(clock);
  const a = dl.start(100, "run");
  await clock.advance(30);
  const b = dl.start(100, "run");
  const c = dl.start(500, "run");
  // b and c start later than a: the timer armed for a still serves.
  assertEquals(clock.pending, 1);
  await clock.advance(69);
  assertEquals([a.controller.signal.aborted, b.controller.signal.aborted], [false, false]);
  await clock.advance(1);
  assertEquals([a.controller.signal.aborted, a.timedOut], [true, true]);
  assertInstanceOf(a.controller.signal.reason, QueryTimeout);
  assertEquals(a.controller.signal.reason.message, "query timeout");
  assertEquals([b.controller.signal.aborted, dl.size], [false, 2]);
  await clock.advance(30);
  assertEquals([b.controller.signal.aborted, b.timedOut], [true, true]);
  assertEquals([c.controller.signal.aborted, dl.size, clock.pending], [false, 1, 1]);
  await clock.advance(399);
  assertEquals(c.controller.signal.aborted, false);
  await clock.advance(1);
  assertEquals([c.controller.signal.aborted, dl.size, dl.armed], [true, 0, false]);
});

Deno.test("Deadlines leaves a query that ended in time alone and re-arms for an earlier one", async () => {
  const clock = new FakeClock(0);
  const dl = new Deadlines(clock);
  const slow = dl.start(1000);
  const fast = dl.start(50); // earlier than the armed timer: it moves
  dl.end(fast);
  await clock.advance(60);
  assertEquals([fast.controller.signal.aborted, fast.timedOut], [false, false]);
  // The timer fired for nothing and re-armed for the query still in flight.
  assertEquals([dl.size, dl.armed, slow.controller.signal.aborted], [1, true, false]);
  dl.end(slow);
  await clock.advance(1000);
  assertEquals([slow.controller.signal.aborted, dl.armed], [false, false]);
});

Deno.test("Deadlines aborts only the queries of an aborted run, and all on close", () => {
  const clock = new FakeClock(0);
  const dl = new Deadlines(clock);
  const runA = {}, runB = {};
  const a = dl.start(1000, runA);
  const b = dl.start(1000, runB);
  dl.abortRun(new Error("run A aborted"), runA);
  assertEquals([a.controller.signal.aborted, a.timedOut, b.controller.signal.aborted], [
    true,
    false,
    false,
  ]);
  assertEquals(a.controller.signal.reason.message, "run A aborted");
  dl.close(new Error("stopped"));
  assertEquals([b.controller.signal.aborted, b.timedOut, dl.size], [true, false, 0]);
  assertEquals(b.controller.signal.reason.message, "stopped");
  assertEquals(clock.pending, 0);
  assert(!dl.armed);
});
