import { assertEquals } from "../../../tests/assert.ts";
import { isTimeToken, resolveParam } from "./params.ts";

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

Deno.test("resolveParam turns time tokens into dates relative to now", () => {
  assertEquals(resolveParam("now", NOW), new Date(NOW));
  assertEquals(resolveParam("15m_ago", NOW), new Date(NOW - 15 * 60_000));
  assertEquals(resolveParam("1h_ago", NOW), new Date(NOW - 3_600_000));
  assertEquals(resolveParam("7d_ago", NOW), new Date(NOW - 7 * 86_400_000));
  assertEquals(resolveParam("1.5h_ago", NOW), new Date(NOW - 5_400_000));
  assertEquals(resolveParam("30s_ago", NOW), new Date(NOW - 30_000));
  assertEquals(resolveParam("2w_ago", NOW), new Date(NOW - 14 * 86_400_000));
});

Deno.test("resolveParam passes other values through, and a backslash escapes a token", () => {
  assertEquals(resolveParam("EU", NOW), "EU");
  assertEquals(resolveParam(42, NOW), 42);
  assertEquals(resolveParam(false, NOW), false);
  assertEquals(resolveParam("1h ago", NOW), "1h ago");
  assertEquals(resolveParam("\\1h_ago", NOW), "1h_ago");
  assertEquals(resolveParam("\\now", NOW), "now");
  assertEquals(isTimeToken("5m_ago"), true);
  assertEquals(isTimeToken("5y_ago"), false);
});
