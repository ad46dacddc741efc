import { assertEquals } from "../../tests/assert.ts";
import { parseRange, parseVersion, satisfies } from "./semver.ts";

Deno.test("semver parses versions and rejects others", () => {
  assertEquals(parseVersion("1.2.3"), [1, 2, 3]);
  assertEquals(parseVersion("v2.0.0-rc.1+build.5"), [2, 0, 0]);
  assertEquals(parseVersion("1.2"), undefined);
  assertEquals(parseVersion("one"), undefined);
});

Deno.test("semver satisfies caret, tilde, comparator, x and OR ranges", () => {
  const cases: [string, string, boolean][] = [
    ["1.0.0", "^1", true],
    ["1.9.3", "^1.2", true],
    ["2.0.0", "^1", false],
    ["0.2.5", "^0.2.1", true],
    ["0.3.0", "^0.2.1", false],
    ["1.2.9", "~1.2", true],
    ["1.3.0", "~1.2", false],
    ["1.5.0", ">=1.0.0 <2", true],
    ["2.0.0", ">=1.0.0 <2", false],
    ["1.4.4", "1.x", true],
    ["3.1.0", "*", true],
    ["3.1.0", "^1 || ^3", true],
    ["1.0.0", "1.0.0", true],
    ["1.0.1", "1.0.0", false],
  ];
  for (const [v, r, want] of cases) assertEquals([v, r, satisfies(v, r)], [v, r, want]);
});

Deno.test("semver rejects invalid ranges", () => {
  assertEquals(parseRange("^one"), undefined);
  assertEquals(parseRange("1 ||"), undefined);
  assertEquals(satisfies("1.0.0", "banana"), false);
});
