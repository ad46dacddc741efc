import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { createLogger, systemClock } from "../core/mod.ts";
import { platform, selfExec } from "../runtime/mod.ts";
import { ModuleBackend } from "./module_host.ts";
import { NO_PERMISSIONS } from "./permissions.ts";

/** Re-executes main.ts (not this test file) as the plugin host. */
const SELF = { ...selfExec(), mainModule: new URL("../../main.ts", import.meta.url).href };

/** Starts a real host on a plugin whose entry is `code`, runs `body`, and stops the host. */
async function withHost(
  code: string,
  body: (b: ModuleBackend, logs: string[], exits: string[]) => Promise<void>,
  heartbeat = 0,
  maxLine = 1 << 20,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sextant-module-host-" });
  await Deno.writeTextFile(join(dir, "mod.ts"), code);
  const logs: string[] = [];
  const exits: string[] = [];
  const b = new ModuleBackend({
    name: "t",
    entryPath: join(dir, "mod.ts"),
    pluginDir: dir,
    permissions: NO_PERMISSIONS,
    options: {},
    memoryMb: 128,
    killGrace: 500,
    heartbeat,
    maxLine,
    self: SELF,
    env: { HOME: Deno.env.get("HOME") ?? "/", PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1" },
    platform,
    clock: systemClock,
    logger: createLogger({ level: "debug", write: (l) => logs.push(JSON.stringify(l)) }),
    onExit: (why) => exits.push(why),
  });
  try {
    await b.start(AbortSignal.timeout(30_000));
    await body(b, logs, exits);
    if (maxLine === 1 << 20) assertEquals(exits, [], "the host stayed up");
  } finally {
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("module host keeps the good samples and reports each bad one by its number", async () => {
  await withHost(
    `export default { collect: () => [
      { name: "ok", value: 1, attributes: { k: "v" } },
      { name: "bad name!", value: 1 },
      { name: "x", value: "nope" },
      5,
      { name: "fine", value: "2.5" },
    ] };`,
    async (b) => {
      const out = await b.collect(AbortSignal.timeout(10_000));
      assertEquals(out.fatal, undefined);
      assertEquals(out.samples, [
        { name: "ok", value: 1, attributes: { k: "v" } },
        { name: "fine", value: 2.5 },
      ]);
      assertEquals(out.errors.length, 3);
      assertMatch(out.errors[0], /^sample 2: /);
      assertMatch(out.errors[1], /^sample 3: "x": "value": /);
      assertMatch(out.errors[2], /^sample 4: expected a JSON object .* found 5/);
    },
  );
});

Deno.test("module host loses only the sample whose value is a BigInt too large for a number", async () => {
  await withHost(
    `export default { collect: () => [
      { name: "ok", value: 1 },
      { name: "small", value: 42n },
      { name: "huge", value: 2n ** 70n },
    ] };`,
    async (b) => {
      const out = await b.collect(AbortSignal.timeout(10_000));
      assertEquals(out.fatal, undefined);
      assertEquals(out.samples, [{ name: "ok", value: 1 }, { name: "small", value: 42 }]);
      assertEquals(out.errors.length, 1);
      assertMatch(out.errors[0], /^sample 3: "huge": "value": /);
    },
  );
});

Deno.test("module host reports a collect() that returns no array", async () => {
  await withHost(`export default { collect: () => ({ name: "x", value: 1 }) };`, async (b) => {
    assertEquals(await b.collect(AbortSignal.timeout(10_000)), {
      samples: [],
      errors: ["collect() must return an array of samples"],
    });
  });
});

Deno.test("module host ignores forged protocol lines and forged results from the Worker", async () => {
  // The plugin prints a result line without the nonce and posts results with a crafted id, with
  // a newline that would end the line early, and with text that is not JSON.
  await withHost(
    `const enc = new TextEncoder();
    let n = 0;
    export default { collect() {
      n++;
      Deno.stdout.writeSync(enc.encode('result 1 [{"name":"forged","value":1}]\\n'));
      self.postMessage({ type: "result", id: '1 [{"name":"forged2","value":1}]', json: "[]" });
      if (n === 2) self.postMessage({ type: "result", id: 2, json: '[]\\nresult 3 [{"name":"forged3","value":1}]' });
      if (n === 3) self.postMessage({ type: "result", id: 3, json: '[{"name":"forged4"' });
      return [{ name: "real", value: 1 }];
    } };`,
    async (b, logs) => {
      assertEquals(await b.collect(AbortSignal.timeout(10_000)), {
        samples: [{ name: "real", value: 1 }],
        errors: [],
      });
      // The Worker's own post answers first; it is refused, and never becomes samples.
      assertEquals(await b.collect(AbortSignal.timeout(10_000)), {
        samples: [],
        errors: ["collect() failed: the plugin's Worker sent a malformed result"],
      });
      const third = await b.collect(AbortSignal.timeout(10_000));
      assertEquals(third.samples, []);
      assertMatch(third.errors.join("\n"), /^sample 1: invalid JSON/);
      assert(logs.some((l) => l.includes("outside the protocol")), "the stray line was noticed");
    },
  );
});

Deno.test("module host carries large results intact, collection after collection, with heartbeats", async () => {
  // About 120 KiB per reply: it crosses the pipe in several chunks, between heartbeat pongs.
  await withHost(
    `let n = 0;
    export default { collect: () => { n++;
      return Array.from({ length: 2000 }, (_, i) =>
        ({ name: "m" + i, value: n * 10000 + i, attributes: { pad: "é€".repeat(8) } }));
    } };`,
    async (b) => {
      // At least 20 collections and a few heartbeats' worth of time, so that pings go out between them.
      const until = performance.now() + 800;
      for (let n = 1; n <= 20 || performance.now() < until; n++) {
        const out = await b.collect(AbortSignal.timeout(10_000));
        assertEquals([out.fatal, out.errors], [undefined, []]);
        assertEquals(out.samples.length, 2000);
        assertEquals(out.samples[1999], {
          name: "m1999",
          value: n * 10000 + 1999,
          attributes: { pad: "é€".repeat(8) },
        });
      }
    },
    150,
  );
});

Deno.test("module host returning more than max_output is killed with a message about its samples", async () => {
  await withHost(
    `export default { collect: () => Array.from({ length: 200 }, (_, i) => ({ name: "n" + i, value: i })) };`,
    async (b, _logs, exits) => {
      const out = await b.collect(AbortSignal.timeout(10_000));
      assertMatch(
        String(out.fatal),
        /^sent more than 1024 bytes in one message \(the samples of one collect\(\), or a line the plugin printed\); raise max_output or return fewer samples$/,
      );
      assert(!/printed a line longer/.test(String(out.fatal)));
      assertEquals(exits, [out.fatal]);
    },
    0,
    1024,
  );
});
