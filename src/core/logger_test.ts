import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { createLogger } from "./logger.ts";
import { Redactor } from "./redact.ts";

Deno.test("logger writes one JSON line per event with component and fields", () => {
  const lines: string[] = [];
  const log = createLogger({ format: "json", write: (l) => lines.push(l), now: () => 0 });
  log.child("agent").info("started", { sources: 3, err: new Error("boom"), big: 5n });
  assertEquals(lines.length, 1);
  assertEquals(JSON.parse(lines[0]), {
    ts: "1970-01-01T00:00:00.000Z",
    level: "info",
    component: "agent",
    msg: "started",
    sources: 3,
    err: "boom",
    big: "5",
  });
});

Deno.test("logger text format quotes values with spaces", () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l), now: () => 0 });
  log.warn("slow", { source: "db", error: "timed out after 5 ms" });
  assertEquals(
    lines[0],
    '1970-01-01T00:00:00.000Z WARN  [sextant] slow source=db error="timed out after 5 ms"',
  );
});

Deno.test("logger applies per-component levels to children", () => {
  const lines: string[] = [];
  const log = createLogger({
    level: "warn",
    components: { source: "debug", "source.db": "error" },
    write: (l) => lines.push(l),
  });
  log.child("agent").info("hidden");
  log.child("source").child("http").debug("shown");
  log.child("source").child("db").warn("hidden too");
  log.child("source").child("db").error("shown too");
  assertEquals(lines.length, 2);
  assertMatch(lines[0], /\[source\.http\] shown/);
  assertMatch(lines[1], /\[source\.db\] shown too/);
  assertEquals(log.child("agent").enabled("info"), false);
});

Deno.test("logger redacts secrets in messages and fields", () => {
  const lines: string[] = [];
  const r = new Redactor();
  r.add("S3cr3t-Pa55");
  const log = createLogger({ write: (l) => lines.push(l), redactor: r });
  log.error("connect postgresql://u:S3cr3t-Pa55@h/db failed", { dsn: "mysql://x:other-pass@h" });
  assertEquals(lines[0].includes("S3cr3t-Pa55"), false);
  assertEquals(lines[0].includes("other-pass"), false);
});

Deno.test("logger redacts secrets that serialising would escape, and skips undefined fields", () => {
  for (const format of ["json", "text"] as const) {
    const lines: string[] = [];
    const r = new Redactor();
    r.add('s3"cr\\et-val');
    const log = createLogger({ format, write: (l) => lines.push(l), redactor: r });
    log.warn('failed with s3"cr\\et-val', { detail: 'token s3"cr\\et-val', item: undefined });
    assertEquals(lines[0].includes("cr\\\\et") || lines[0].includes('s3\\"cr'), false, lines[0]);
    assertEquals(lines[0].includes("item"), false, lines[0]);
  }
});

Deno.test("logger folds repeats within the window and reports the count on the next line", () => {
  let now = 0;
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l), now: () => now, repeatWindow: 1000 });
  const x = log.child("export");
  for (let i = 0; i < 121; i++) x.warn("export failed", { error: "HTTP 503" });
  x.warn("export failed", { error: "HTTP 500" }); // different fields: its own line
  assertEquals(lines.length, 2);
  now = 1000;
  x.warn("export failed", { error: "HTTP 503" });
  assertEquals(lines.length, 3);
  assertMatch(lines[2], /export failed …repeated 120 times error="HTTP 503" repeated=120$/);
  now = 5000;
  x.warn("export failed", { error: "HTTP 503" });
  assert(!lines[3].includes("repeated"), lines[3]);
});

Deno.test("logger puts the repeat count in a JSON field, and a zero window writes every line", () => {
  let now = 0;
  const json: string[] = [];
  const log = createLogger({ format: "json", write: (l) => json.push(l), now: () => now });
  log.info("tick");
  log.info("tick");
  now = 60_000;
  log.info("tick");
  assertEquals(json.length, 2);
  assertEquals(JSON.parse(json[1]).repeated, 1);
  assertEquals(JSON.parse(json[1]).msg, "tick");
  const all: string[] = [];
  const every = createLogger({ write: (l) => all.push(l), repeatWindow: 0 });
  for (let i = 0; i < 5; i++) every.info("tick");
  assertEquals(all.length, 5);
});

Deno.test("logger writes the count of a burst that stopped at the next log call after its window", () => {
  let now = 0;
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l), now: () => now, repeatWindow: 60_000 });
  const src = log.child("source.db");
  for (let i = 0; i < 120; i++) {
    src.warn("connection refused");
    now += 100;
  }
  assertEquals(lines.length, 1);
  now = 59_000;
  src.info("collection ok");
  assertEquals(lines.length, 2, "still inside the window: nothing to report yet");
  now = 60_000;
  src.info("still ok");
  assertEquals(lines.length, 4);
  assertMatch(
    lines[2],
    /WARN {2}\[source\.db\] connection refused …repeated 119 times repeated=119$/,
  );
  assertMatch(lines[3], /INFO {2}\[source\.db\] still ok$/);
  now = 200_000;
  src.info("collection ok");
  assertEquals(lines.filter((l) => l.includes("repeated")).length, 1, "each count once");
});

Deno.test("logger flush writes the counts whose window ended, and every count with all", () => {
  let now = 0;
  const lines: string[] = [];
  const log = createLogger({
    format: "json",
    write: (l) => lines.push(l),
    now: () => now,
    repeatWindow: 1000,
  });
  for (let i = 0; i < 5; i++) log.warn("old");
  now = 600;
  for (let i = 0; i < 3; i++) log.child("x").warn("young", { n: 1 });
  now = 1000;
  log.flush();
  assertEquals(lines.map((l) => [JSON.parse(l).msg, JSON.parse(l).repeated]), [
    ["old", undefined],
    ["young", undefined],
    ["old", 4],
  ]);
  log.child("any").flush(true);
  assertEquals(JSON.parse(lines[3]), {
    ts: "1970-01-01T00:00:01.000Z",
    level: "warn",
    component: "x",
    msg: "young",
    n: 1,
    repeated: 2,
  });
  log.flush(true);
  assertEquals(lines.length, 4, "nothing twice");
});

Deno.test("logger reports the count of a line evicted from the remembered ones", () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l), now: () => 0, repeatWindow: 60_000 });
  for (let i = 0; i < 50; i++) log.warn("same");
  for (let i = 0; i < 1000; i++) log.warn(`distinct ${i}`);
  const same = lines.filter((l) => / same/.test(l));
  assertEquals(same.length, 2);
  assertMatch(same[1], /same …repeated 49 times repeated=49$/);
});
