/**
 * Test assertions in the shape of `@std/assert` (JSR-only, unreachable
 * here), built on `node:assert`.
 * @module
 */
import assert from "node:assert/strict";

export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg);
}
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.notDeepStrictEqual(actual, expected, msg);
}
export function assert_(cond: unknown, msg?: string): asserts cond {
  assert.ok(cond, msg);
}
export { assert_ as assert };
export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  assert.match(actual, re, msg);
}
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new assert.AssertionError({
      message: msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
      actual,
      expected,
    });
  }
}
export function assertInstanceOf<T>(
  value: unknown,
  cls: abstract new (...args: never[]) => T,
  msg?: string,
): asserts value is T {
  assert.ok(
    value instanceof cls,
    msg ?? `expected an instance of ${cls.name}, got ${String(value)}`,
  );
}
/** Asserts that `fn` rejects with an instance of `cls` whose message includes `includes`; returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: abstract new (...args: never[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assertInstanceOf(err, cls);
    if (includes !== undefined) assertStringIncludes((err as Error).message, includes);
    return err as E;
  }
  throw new assert.AssertionError({ message: "expected the promise to reject" });
}
/** Asserts that `fn` throws an instance of `cls` whose message includes `includes`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    assertInstanceOf(err, cls);
    if (includes !== undefined) assertStringIncludes((err as Error).message, includes);
    return err as E;
  }
  throw new assert.AssertionError({ message: "expected the function to throw" });
}
/** Polls `fn` until it returns a truthy value or the deadline passes (never a fixed sleep). */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
