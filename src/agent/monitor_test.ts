/** The self-monitor's timers on fake time. */
import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { createLogger, FakeClock } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { SelfMonitor } from "./monitor.ts";

Deno.test("self-monitor writes the count of a burst of repeats once its window ends, with no other log line", async () => {
  const clock = new FakeClock(1_000_000);
  const lines: string[] = [];
  const log = createLogger({
    write: (l) => lines.push(l),
    now: () => clock.now(),
    repeatWindow: 1000,
  });
  const monitor = new SelfMonitor({
    clock,
    platform,
    logger: log.child("monitor"),
    limits: { measure: "rss", check_interval: 10_000 },
    onPressure: () => {},
    onRelief: () => {},
  });
  monitor.start();
  try {
    for (let i = 0; i < 120; i++) log.child("source.db").warn("connection refused");
    await clock.advance(500);
    assertEquals(lines.length, 1, "inside the window");
    await clock.advance(500);
    assertEquals(lines.length, 2);
    assertMatch(lines[1], /\[source\.db\] connection refused …repeated 119 times repeated=119$/);
  } finally {
    monitor.stop();
  }
});
