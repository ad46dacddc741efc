import { assertEquals } from "../../../tests/assert.ts";
import { toNumber } from "./to_number.ts";

Deno.test("toNumber converts driver values exactly and flags precision loss", () => {
  assertEquals(toNumber(42), { kind: "number", value: 42, lossy: false });
  assertEquals(toNumber(42n), { kind: "number", value: 42, lossy: false });
  assertEquals(toNumber(2n ** 53n), { kind: "number", value: 2 ** 53, lossy: false });
  assertEquals(toNumber(2n ** 53n + 1n), { kind: "number", value: 2 ** 53, lossy: true });
  assertEquals(toNumber("0012.50"), { kind: "number", value: 12.5, lossy: false });
  assertEquals(toNumber("-0.1"), { kind: "number", value: -0.1, lossy: false });
  assertEquals(toNumber("1e3"), { kind: "number", value: 1000, lossy: false });
  assertEquals((toNumber("9007199254740993") as { lossy?: boolean }).lossy, true);
  assertEquals((toNumber("3.14159265358979323846") as { lossy?: boolean }).lossy, true);
  assertEquals((toNumber("123456789012345.678") as { lossy?: boolean }).lossy, true);
  assertEquals((toNumber("12345678901234.5") as { lossy?: boolean }).lossy, false);
  assertEquals(toNumber(true), { kind: "number", value: 1, lossy: false });
  assertEquals(toNumber(new Date(1500)), { kind: "number", value: 1.5, lossy: false });
  // Decimal objects print as decimal text.
  assertEquals(toNumber({ toString: () => "7.25" }), { kind: "number", value: 7.25, lossy: false });
});

Deno.test("toNumber reports NULL, text, NaN and out-of-range values", () => {
  assertEquals(toNumber(null), { kind: "null" });
  assertEquals(toNumber(undefined), { kind: "null" });
  assertEquals(toNumber("n/a"), { kind: "nan", what: 'text "n/a"' });
  assertEquals(toNumber("NaN"), { kind: "nan", what: '"NaN"' });
  assertEquals(toNumber(NaN), { kind: "nan", what: "NaN" });
  assertEquals(toNumber(Infinity), { kind: "nan", what: "Infinity" });
  assertEquals(toNumber("1e400"), { kind: "nan", what: '"1e400" (out of range)' });
  assertEquals(toNumber(new Date(NaN)), { kind: "nan", what: "an invalid date" });
  assertEquals(toNumber(Symbol.iterator), { kind: "nan", what: "symbol" });
});

Deno.test("toNumber takes short decimal text exactly and checks longer text", () => {
  assertEquals(toNumber("1000"), { kind: "number", value: 1000, lossy: false });
  assertEquals(toNumber("-30.75"), { kind: "number", value: -30.75, lossy: false });
  assertEquals(toNumber("+0.000000000001"), { kind: "number", value: 1e-12, lossy: false });
  assertEquals(toNumber("999999999999999"), {
    kind: "number",
    value: 999999999999999,
    lossy: false,
  });
  // 16 and 17 digits take the careful path: exact when the double prints back the same.
  assertEquals(toNumber("9007199254740992"), { kind: "number", value: 2 ** 53, lossy: false });
  assertEquals(toNumber("9007199254740993"), { kind: "number", value: 2 ** 53, lossy: true });
  assertEquals(toNumber("0.10000000000000001").kind, "number");
  assertEquals((toNumber("1234567890.12345678") as { lossy: boolean }).lossy, true);
  assertEquals(toNumber("1."), { kind: "number", value: 1, lossy: false });
  assertEquals(toNumber(" 7 "), { kind: "number", value: 7, lossy: false });
});
