import { assertEquals } from "../../tests/assert.ts";
import { LineSplitter, readLines } from "./line_reader.ts";

function stream(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(new TextEncoder().encode(ch));
      c.close();
    },
  });
}

function collect(chunks: string[], maxLine: number) {
  const lines: string[] = [];
  let overflow = 0;
  return new Promise<{ lines: string[]; overflow: number }>((resolve) => {
    readLines(stream(chunks), {
      maxLine,
      onLine: (l) => lines.push(l),
      onOverflow: () => overflow++,
      onEnd: () => resolve({ lines, overflow }),
    });
  });
}

Deno.test("readLines splits chunks into lines, strips CR and keeps a last unterminated line", async () => {
  assertEquals(await collect(["a\r\nb", "c\n\nd"], 100), {
    lines: ["a", "bc", "", "d"],
    overflow: 0,
  });
});

Deno.test("readLines stops at a line longer than the cap, with or without its newline", async () => {
  assertEquals(await collect(["ok\n", "x".repeat(20), "\nlater\n"], 10), {
    lines: ["ok"],
    overflow: 1,
  });
  assertEquals(await collect(["ok\n0123456789012\n"], 10), { lines: ["ok"], overflow: 1 });
});

Deno.test("readLines stops reading when told to", async () => {
  const lines: string[] = [];
  let stop!: () => void;
  const ended = new Promise<void>((resolve) => {
    stop = readLines(stream(["a\nb\nc\n"]), {
      maxLine: 10,
      onLine: (l) => {
        lines.push(l);
        if (l === "b") stop();
      },
      onOverflow: () => {},
      onEnd: resolve,
    });
  });
  await ended;
  assertEquals(lines, ["a", "b"]);
});

function split(chunks: (string | Uint8Array)[], maxLine: number) {
  const lines: string[] = [];
  let overflow = 0;
  const s = new LineSplitter({
    maxLine,
    onLine: (l) => lines.push(l),
    onOverflow: () => overflow++,
  });
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, overflow };
}

Deno.test("LineSplitter joins a character and a CRLF split across chunks", () => {
  const bytes = new TextEncoder().encode("é€\r\nz");
  // "é" is 2 bytes, "€" 3: cut inside each, and between the CR and the LF.
  const chunks = [
    bytes.subarray(0, 1),
    bytes.subarray(1, 3),
    bytes.subarray(3, 6),
    bytes.subarray(6),
  ];
  assertEquals(split(chunks, 100), { lines: ["é€", "z"], overflow: 0 });
});

Deno.test("LineSplitter keeps a line that arrives in many small chunks and caps the total", () => {
  const chunks = Array.from({ length: 50 }, () => "ab");
  assertEquals(split([...chunks, "\nnext\n"], 100), {
    lines: ["ab".repeat(50), "next"],
    overflow: 0,
  });
  // The same line is too long for a cap of 99 before its newline has arrived.
  assertEquals(split([...chunks, "\nnext\n"], 99), { lines: [], overflow: 1 });
});

Deno.test("LineSplitter ignores input after stop and reports a last line without newline", () => {
  const lines: string[] = [];
  const s = new LineSplitter({
    maxLine: 10,
    onLine: (l) => {
      lines.push(l);
      if (l === "stop") s.stop();
    },
    onOverflow: () => {},
  });
  s.push("a\r");
  s.push("\nstop\nb\n");
  s.push("c\n");
  s.end();
  assertEquals([lines, s.stopped], [["a", "stop"], true]);
  const tail: string[] = [];
  const t = new LineSplitter({ maxLine: 10, onLine: (l) => tail.push(l), onOverflow: () => {} });
  t.push("x\ny\r");
  t.end();
  assertEquals(tail, ["x", "y"]);
});

Deno.test("readLines with onLong keeps a truncated long line and reads on to the next ones", async () => {
  const run = (chunks: string[]) =>
    new Promise<{ lines: string[]; long: string[]; overflow: number }>((resolve) => {
      const out = { lines: [] as string[], long: [] as string[], overflow: 0 };
      readLines(stream(chunks), {
        maxLine: 5,
        onLine: (l) => out.lines.push(l),
        onLong: (l) => out.long.push(l),
        onOverflow: () => out.overflow++,
        onEnd: () => resolve(out),
      });
    });
  // Long line in one chunk, then across chunks without a newline for a while, then at the end.
  assertEquals(await run(["a\n0123456789\nb\n", "xxxxxxxx", "yyyy", "yy\nc\n", "zzzzzzz"]), {
    lines: ["a", "b", "c"],
    long: ["01234", "xxxxx", "zzzzz"],
    overflow: 0,
  });
  assertEquals(await run(["abcdefgh", "\nok\n"]), { lines: ["ok"], long: ["abcde"], overflow: 0 });
});
