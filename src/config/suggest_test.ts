import { assertEquals } from "./testdata/assert.ts";
import { didYouMean, editDistance } from "./suggest.ts";

Deno.test("editDistance counts a transposition of neighbours as one edit", () => {
  assertEquals(editDistance("guage", "gauge"), 1);
  assertEquals(editDistance("htp", "http"), 1);
  assertEquals(editDistance("intervall", "interval"), 1);
  assertEquals(editDistance("", "abc"), 3);
  assertEquals(editDistance("abc", ""), 3);
  assertEquals(editDistance("kitten", "sitting"), 3);
  assertEquals(editDistance("ca", "abc"), 3); // OSA, not full Damerau (which gives 2)
  assertEquals(editDistance("😀a", "a😀"), 1);
});

Deno.test("didYouMean picks the closest candidate within the threshold", () => {
  assertEquals(didYouMean("guage", ["gauge", "counter", "updowncounter", "histogram"]), "gauge");
  assertEquals(didYouMean("valdiate", ["run", "once", "validate", "version"]), "validate");
  assertEquals(didYouMean("agregators", ["sources", "aggregators"]), "aggregators");
  assertEquals(didYouMean("Gauge", ["gauge"]), "gauge");
});

Deno.test("didYouMean returns undefined for far-off words and exact matches", () => {
  assertEquals(didYouMean("xyz", ["run", "once"]), undefined);
  assertEquals(didYouMean("name", ["type", "url"]), undefined);
  assertEquals(didYouMean("run", ["run"]), undefined);
  assertEquals(didYouMean("anything", []), undefined);
});

Deno.test("didYouMean breaks ties in favour of the earlier candidate", () => {
  assertEquals(didYouMean("cat", ["bat", "hat"]), "bat");
  assertEquals(didYouMean("cat", ["hat", "bat"]), "hat");
});
