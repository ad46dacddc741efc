import { assertEquals } from "../../tests/assert.ts";
import { coerceNumber } from "./coerce_number.ts";

Deno.test("coerceNumber accepts numbers, numeric strings and booleans", () => {
  assertEquals(coerceNumber(3.5), { ok: true, value: 3.5 });
  assertEquals(coerceNumber(" -1e3 "), { ok: true, value: -1000 });
  assertEquals(coerceNumber(false), { ok: true, value: 0 });
  assertEquals(coerceNumber(10n), { ok: true, value: 10 });
});

Deno.test("coerceNumber rejects non-finite and non-numeric values with a message", () => {
  assertEquals(coerceNumber("n/a"), { ok: false, message: 'expected a number, found "n/a"' });
  assertEquals(coerceNumber(NaN), {
    ok: false,
    message: "expected a finite number, found NaN",
  });
  assertEquals(coerceNumber("1e999"), {
    ok: false,
    message: 'expected a finite number, found "1e999"',
  });
  assertEquals(coerceNumber(null), { ok: false, message: "expected a number, found null" });
  assertEquals(coerceNumber({ a: 1 }), {
    ok: false,
    message: "expected a number, found an object",
  });
  assertEquals(coerceNumber([1]), { ok: false, message: "expected a number, found an array" });
  assertEquals(coerceNumber(undefined), {
    ok: false,
    message: "expected a number, found nothing",
  });
  assertEquals(coerceNumber(""), { ok: false, message: 'expected a number, found ""' });
  assertEquals(coerceNumber("0x10"), { ok: false, message: 'expected a number, found "0x10"' });
});
