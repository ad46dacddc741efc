import { assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  evaluate,
  ExpressionEvalError,
  ExpressionSyntaxError,
  MAX_EXPRESSION_DEPTH,
  parseExpression,
  references,
} from "./expression.ts";

const run = (src: string, vars: Record<string, number> = {}) =>
  evaluate(parseExpression(src), (n) => vars[n]);

Deno.test("expression evaluates arithmetic with precedence and parentheses", () => {
  assertEquals(run("1 + 2 * 3"), 7);
  assertEquals(run("(1 + 2) * 3"), 9);
  assertEquals(run("10 - 4 - 3"), 3);
  assertEquals(run("2 * -3 + +1"), -5);
  assertEquals(run("7 % 4"), 3);
  assertEquals(run("1.5e2 / .5"), 300);
});

Deno.test("expression reads dotted metric names", () => {
  const e = parseExpression("100 * api.errors / api.requests");
  assertEquals(references(e), ["api.errors", "api.requests"]);
  assertEquals(evaluate(e, (n) => ({ "api.errors": 5, "api.requests": 200 })[n]), 2.5);
  assertEquals(references(parseExpression("max(a, a.p99, min(a, 1))")), ["a", "a.p99"]);
});

Deno.test("expression comparisons give 1 or 0", () => {
  assertEquals(
    ["1 < 2", "2 <= 2", "3 > 4", "4 >= 5", "5 == 5", "5 != 5"].map((s) => run(s)),
    [1, 1, 0, 0, 1, 0],
  );
  assertEquals(run("(q.p99 > 500) * 1", { "q.p99": 800 }), 1);
});

Deno.test("expression functions min, max, abs and clamp", () => {
  assertEquals(run("min(3, 1, 2)"), 1);
  assertEquals(run("max(3, 1, 2)"), 3);
  assertEquals(run("abs(-4.5)"), 4.5);
  assertEquals(run("clamp(150, 0, 100)"), 100);
  assertEquals(run("clamp(-1, 0, 100)"), 0);
});

Deno.test("expression division by zero is an error naming the column", () => {
  assertThrows(
    () => run("errors / requests", { errors: 1, requests: 0 }),
    ExpressionEvalError,
    "division by zero at column 8",
  );
  assertThrows(() => run("5 % 0"), ExpressionEvalError, "division by zero");
});

Deno.test("expression missing input and non-finite results are errors", () => {
  assertThrows(() => run("a + b", { a: 1 }), ExpressionEvalError, 'missing input "b"');
  assertThrows(() => run("a * a", { a: 1e200 }), ExpressionEvalError, "Infinity, not a finite");
});

Deno.test("expression syntax errors carry the column", () => {
  const cases: [string, string][] = [
    ["1 +", 'at column 4: expected a number, a metric name or "(", found the end'],
    ["(1 + 2", 'at column 7: expected ")", found the end'],
    ["a $ b", 'at column 3: unexpected character "$"'],
    ["1 2", 'at column 3: unexpected "2"'],
    ["eval(1)", 'at column 1: unknown function "eval"'],
    ["clamp(1, 2)", "at column 1: clamp() takes 3 argument(s), found 2"],
    ["abs()", "abs() takes 1 argument(s), found 0"],
    ["1 < 2 < 3", "at column 7: comparisons cannot be chained"],
  ];
  for (const [src, msg] of cases) {
    const e = assertThrows(() => parseExpression(src), ExpressionSyntaxError, msg);
    assertEquals(e.message.startsWith("at column"), true);
  }
});

Deno.test("expression cannot reach globals or properties", () => {
  // Identifiers are only ever looked up through the input function.
  const seen: string[] = [];
  const e = parseExpression("constructor + globalThis.Deno + __proto__");
  assertThrows(
    () => evaluate(e, (n) => (seen.push(n), undefined)),
    ExpressionEvalError,
    'missing input "constructor"',
  );
  assertEquals(seen, ["constructor"]);
  assertThrows(() => parseExpression("toString()"), ExpressionSyntaxError, "unknown function");
  assertThrows(() => parseExpression('a["b"]'), ExpressionSyntaxError, "unexpected character");
});

Deno.test("expression nested too deep is a syntax error, not a stack overflow", () => {
  const deep = "(".repeat(20_000) + "1" + ")".repeat(20_000);
  assertThrows(
    () => parseExpression(deep),
    ExpressionSyntaxError,
    `at column ${MAX_EXPRESSION_DEPTH + 1}: nested deeper than ${MAX_EXPRESSION_DEPTH} levels`,
  );
  assertThrows(
    () => parseExpression("-".repeat(20_000) + "1"),
    ExpressionSyntaxError,
    `nested deeper than ${MAX_EXPRESSION_DEPTH} levels`,
  );
  assertThrows(
    () => parseExpression("abs(".repeat(5000) + "1" + ")".repeat(5000)),
    ExpressionSyntaxError,
    "nested deeper",
  );
  // A long chain of operators builds a deep tree too (evaluation would recurse through it).
  const chain = Array.from({ length: 20_000 }, () => "a").join(" + ");
  assertThrows(() => parseExpression(chain), ExpressionSyntaxError, "nested deeper");
  // Up to the limit it parses and evaluates.
  const ok = "(".repeat(MAX_EXPRESSION_DEPTH) + "2" + ")".repeat(MAX_EXPRESSION_DEPTH);
  assertEquals(evaluate(parseExpression(ok), () => undefined), 2);
  const sum = Array.from({ length: MAX_EXPRESSION_DEPTH - 1 }, () => "a").join(" + ");
  assertEquals(evaluate(parseExpression(sum), () => 1), MAX_EXPRESSION_DEPTH - 1);
});
