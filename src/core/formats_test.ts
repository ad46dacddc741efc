import { assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  detectFormat,
  limitLineErrors,
  parseJsonSamples,
  parseNumber,
  parseOutput,
  REPORTED_LINE_ERRORS,
} from "./formats.ts";

Deno.test("parseNumber reads one number under the given name", () => {
  assertEquals(parseNumber("  42\n", { name: "queue_depth" }), {
    samples: [{ name: "queue_depth", value: 42 }],
    errors: [],
  });
  assertEquals(parseNumber("true").samples, [{ name: "value", value: 1 }]);
});

Deno.test("parseNumber reports empty text, garbage and extra lines", () => {
  assertEquals(parseNumber(" \n"), {
    samples: [],
    errors: [{ line: 1, message: "expected a number, found empty output" }],
  });
  assertEquals(parseNumber("abc").errors, [{
    line: 1,
    message: 'expected a number, found "abc"',
  }]);
  assertEquals(parseNumber("\n7\n8\n"), {
    samples: [{ name: "value", value: 7 }],
    errors: [{ line: 3, message: 'expected a single number, found more output: "8"' }],
  });
});

Deno.test("parseNumber rejects an invalid sample name up front", () => {
  assertThrows(
    () => parseNumber("1", { name: "9x" }),
    TypeError,
    `Cannot parse a number as 'name' must be a valid metric name: current value is "9x"`,
  );
});

Deno.test("detectFormat tells JSON, numbers and Prometheus text apart", () => {
  assertEquals(detectFormat(" 42\n"), "number");
  assertEquals(detectFormat(""), "number");
  assertEquals(detectFormat('{"name":"a","value":1}'), "json");
  assertEquals(detectFormat('[{"name":"a","value":1}]'), "json");
  assertEquals(detectFormat("# HELP a x\na 1"), "prometheus");
  assertEquals(detectFormat("a 1\nb 2"), "prometheus");
});

Deno.test("parseOutput dispatches on the given or detected format", () => {
  assertEquals(parseOutput("7", "auto", { name: "n" }), {
    format: "number",
    samples: [{ name: "n", value: 7 }],
    errors: [],
  });
  assertEquals(parseOutput('{"name":"a","value":1}', "auto").format, "json");
  assertEquals(parseOutput("a 1", "auto").format, "prometheus");
  assertEquals(parseOutput("a 1", "json").errors[0].line, 1);
  assertEquals(parseOutput("", "auto").errors, [{
    line: 1,
    message: "expected a number, found empty output",
  }]);
  assertEquals(parseOutput("", "prometheus"), {
    format: "prometheus",
    samples: [],
    errors: [],
  });
});

Deno.test("limitLineErrors keeps the first errors and counts the further bad lines", () => {
  const errors = parseJsonSamples("garbage\n".repeat(50)).errors;
  assertEquals(errors.length, 50);
  const { shown, moreLines } = limitLineErrors(errors);
  assertEquals(REPORTED_LINE_ERRORS, 10);
  assertEquals(shown, errors.slice(0, 10));
  assertEquals(moreLines, 40);
  // Errors of one line (items of an array) count once, and not again when a shown error has that line.
  const items = [1, 1, 1, 2, 2, 3].map((line) => ({ line, message: "x" }));
  assertEquals(limitLineErrors(items, 2), { shown: items.slice(0, 2), moreLines: 2 });
  assertEquals(limitLineErrors([], 10), { shown: [], moreLines: 0 });
  assertThrows(
    () => limitLineErrors(items, -1),
    RangeError,
    "Cannot limit line errors as 'max' must be a non-negative integer: current value is -1",
  );
});
