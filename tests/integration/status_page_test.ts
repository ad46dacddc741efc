/**
 * The status page in a real headless Chromium: it loads with nothing from
 * outside, shows every source with its breaker, and updates by itself.
 */
import { chromium } from "playwright-core";
import { assert, assertEquals, waitFor } from "../assert.ts";
import { Agent, buildDocumentSchema, startAdmin } from "../../src/agent/mod.ts";
import { createLogger, Redactor, type SourceKind, systemClock } from "../../src/core/mod.ts";
import { platform } from "../../src/runtime/mod.ts";
import { control, controlledKind } from "../support/test_kind.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const haveChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
if (!haveChromium) {
  const msg = `status page test skipped: ${CHROMIUM} not found (apt-get install chromium)`;
  if (Deno.env.get("CI") === "true") throw new Error(msg);
  console.warn(msg);
}

Deno.test({
  name: "status page loads self-contained, shows the sources and updates",
  ignore: !haveChromium,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const key = crypto.randomUUID();
  control(`${key}-down`).mode = "fail";
  // Hostile markup in an error must render as text, never run or add elements.
  const HOSTILE = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>` +
    `<b id="injected">bold</b>`;
  control(`${key}-hostile`).mode = "fail";
  control(`${key}-hostile`).error = HOSTILE;
  const kinds = [controlledKind as unknown as SourceKind];
  const doc = buildDocumentSchema(kinds).parse({
    custom_metrics: {
      agent: { jitter: 0 },
      admin: { listen: "127.0.0.1:0", token: "page-token-123" },
      sources: [
        { name: "orders", type: "controlled", key: `${key}-orders`, interval: "100ms" },
        {
          name: "down",
          type: "controlled",
          key: `${key}-down`,
          interval: "100ms",
          breaker: { failure_threshold: 2, cooldown: "1h" },
        },
        {
          name: "hostile",
          type: "controlled",
          key: `${key}-hostile`,
          interval: "100ms",
          attributes: { note: `<b id="injected-attr">x</b>` },
        },
      ],
    },
  });
  const redactor = new Redactor();
  const agent = new Agent({
    config: doc,
    kinds,
    platform,
    logger: createLogger({ level: "error", write: () => {}, redactor }),
    clock: systemClock,
    redactor,
    exporters: [],
  });
  await agent.start();
  const admin = await startAdmin({
    listen: "127.0.0.1:0",
    token: "page-token-123",
    platform,
    logger: createLogger({ level: "error", write: () => {} }),
    target: agent,
    pageRefreshMs: 300,
  });
  const origin = `http://127.0.0.1:${admin.port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    await page.goto(`${origin}/#token=page-token-123`);
    await page.waitForSelector('tr[data-source="orders"]', { timeout: 10_000 });
    await page.waitForSelector('tr[data-source="down"] td.breaker.open', { timeout: 10_000 });
    const runs = async () =>
      Number(
        (await page.locator('tr[data-source="orders"] td').nth(4).innerText()).split(" / ")[0],
      );
    const first = await runs();
    await waitFor(async () => (await runs()) >= first + 3, "the page to refresh itself");
    const row = await page.locator('tr[data-source="down"]').innerText();
    assert(row.includes("connection refused"), row);
    assert(!row.includes("hunter2-secret"), "a secret reached the page");
    assertEquals(await page.locator('tr[data-source="orders"] svg.dur polyline').count(), 1);
    assertEquals(await page.locator("#error").innerText(), "");
    await waitFor(
      async () => (await page.locator('tr[data-source="hostile"]').innerText()).includes("<img"),
      "the hostile error shown as text",
    );
    const hostileRow = await page.locator('tr[data-source="hostile"]').innerText();
    assert(hostileRow.includes(`<b id="injected">bold</b>`), hostileRow);
    assertEquals(await page.locator("#injected, #injected-attr, img").count(), 0);
    assertEquals(await page.evaluate("window.__xss"), undefined, "hostile markup ran");
    const foreign = requested.filter((u) => !u.startsWith(origin));
    assertEquals(foreign, [], "the page loaded something from elsewhere");
  } finally {
    await browser.close();
    await admin.close();
    await agent.stop();
  }
});
