/** Minimal assertions (`@std/assert` is JSR-only, which this environment cannot reach). @module */
import { deepStrictEqual } from "node:assert";

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  deepStrictEqual(actual, expected, msg);
}

/** `actual` contains `part`. */
export function assertStringIncludes(actual: string, part: string): void {
  assert(
    actual.includes(part),
    `expected ${JSON.stringify(actual)} to include ${JSON.stringify(part)}`,
  );
}

/** `actual` does not contain `part`. */
export function assertNotIncludes(actual: string, part: string): void {
  assert(
    !actual.includes(part),
    `expected ${JSON.stringify(actual)} not to include ${JSON.stringify(part)}`,
  );
}
