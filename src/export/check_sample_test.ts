import { assertEquals } from "../../tests/assert.ts";
import { checkSample } from "./check_sample.ts";
import { sample } from "./testdata/helpers.ts";

Deno.test("checkSample gives the Prometheus labels of a series: mapped, sorted, without empty values", () => {
  const checked = checkSample(
    sample("m", 1, "gauge", { "z.k": "1", le: "2", a: "", n: 3 as unknown as string }),
  );
  if (typeof checked === "string") throw new Error(checked);
  assertEquals(checked.labels, [["exported_le", "2"], ["n", "3"], ["z_k", "1"]]);
  assertEquals(checked.attributes, { "z.k": "1", le: "2", a: "", n: "3" });
});

Deno.test("checkSample returns the reason of an unusable sample", () => {
  assertEquals(
    checkSample(sample("m", 1, "gauge", { "a.b": "1", a_b: "" })),
    'metric "m": attributes "a.b" and "a_b" both become the Prometheus label "a_b"',
  );
});
