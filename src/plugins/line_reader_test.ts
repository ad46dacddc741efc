import { assertEquals } from "../../tests/assert.ts";
import { readLines } from "./line_reader.ts";

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
