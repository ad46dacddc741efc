import { unifiedDiff } from "./diff.ts";
import { assertEquals } from "./testdata/assert.ts";

Deno.test("unifiedDiff prints hunks with three lines of context", () => {
  const a = Array.from({ length: 12 }, (_, i) => `l${i + 1}`).join("\n") + "\n";
  const b = a.replace("l2\n", "L2\n").replace("l11\n", "");
  assertEquals(
    unifiedDiff(a, b, "a", "b"),
    [
      "--- a",
      "+++ b",
      "@@ -1,5 +1,5 @@",
      " l1",
      "-l2",
      "+L2",
      " l3",
      " l4",
      " l5",
      "@@ -8,5 +8,4 @@",
      " l8",
      " l9",
      " l10",
      "-l11",
      " l12",
      "",
    ].join("\n"),
  );
});

Deno.test("unifiedDiff is empty for equal texts and handles an empty side", () => {
  assertEquals(unifiedDiff("x\n", "x\n", "a", "b"), "");
  assertEquals(unifiedDiff("", "x\ny\n", "a", "b"), "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
  assertEquals(unifiedDiff("x\n", "", "a", "b"), "--- a\n+++ b\n@@ -1,1 +0,0 @@\n-x\n");
});
