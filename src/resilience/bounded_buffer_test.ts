import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { BoundedBuffer } from "./mod.ts";

Deno.test("BoundedBuffer drops the oldest when full and counts it by weight", () => {
  const b = new BoundedBuffer<string>(2);
  assertEquals(b.push("a", 10), []);
  b.push("b", 20);
  assertEquals(b.push("c", 30), ["a"]);
  assertEquals(b.size, 2);
  assertEquals(b.weight, 50);
  assertEquals(b.dropped, 1);
  assertEquals(b.droppedWeight, 10);
  assertEquals(b.shift(), "b");
  assertEquals(b.peek(), "c");
});

Deno.test("BoundedBuffer unshift puts a retry back in front, and resize shrinks from the oldest", () => {
  const b = new BoundedBuffer<number>(3);
  b.push(2);
  b.push(3);
  b.unshift(1);
  assertEquals(b.resize(1), [1, 2]);
  assertEquals(b.dropped, 2);
  assertEquals(b.clear(), [3]);
  assertEquals(b.size, 0);
  assertEquals(b.weight, 0);
});

Deno.test("BoundedBuffer of capacity 0 keeps nothing, and a bad capacity is rejected", () => {
  const b = new BoundedBuffer<number>(0);
  assertEquals(b.push(1), [1]);
  assertEquals(b.dropped, 1);
  assertThrows(
    () => new BoundedBuffer(-1),
    RangeError,
    "'capacity' must be a non-negative integer: current value is -1",
  );
});

Deno.test("BoundedBuffer dropAll empties it and counts everything as dropped", () => {
  const b = new BoundedBuffer<string>(5);
  b.push("a", 2);
  b.push("b", 3);
  assertEquals(b.dropAll(), ["a", "b"]);
  assertEquals([b.size, b.weight, b.dropped, b.droppedWeight], [0, 0, 2, 5]);
  assertEquals(b.dropAll(), []);
  assertEquals(b.dropped, 2);
});
