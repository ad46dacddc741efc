import { FakeClock } from "../core/mod.ts";
import { watchConfig } from "./mod.ts";
import { assertEquals } from "./testdata/assert.ts";

function fakeWatch() {
  const calls: { paths: string[]; fn: (p: string) => void; stopped: boolean }[] = [];
  return {
    calls,
    platform: {
      watch(paths: string[], fn: (p: string) => void) {
        const c = { paths, fn, stopped: false };
        calls.push(c);
        return () => (c.stopped = true);
      },
    },
    emit: (p: string) => calls.filter((c) => !c.stopped).forEach((c) => c.fn(p)),
  };
}

Deno.test("watchConfig watches directories and calls back once per burst of relevant changes", async () => {
  const clock = new FakeClock(0);
  const w = fakeWatch();
  const seen: string[][] = [];
  const watch = watchConfig({
    platform: w.platform,
    clock,
    paths: { files: ["/etc/s/main.toml", "/etc/s/base.toml"], dirs: ["/etc/s/conf.d"] },
    onChange: (c) => seen.push(c),
  });
  assertEquals(w.calls[0].paths.sort(), ["/etc/s", "/etc/s/conf.d"]);
  w.emit("/etc/s/main.toml");
  await clock.advance(150);
  w.emit("/etc/s/other.txt"); // not a config file: ignored
  w.emit("/etc/s/.main.toml.swp"); // an editor's swap file: ignored
  w.emit("/etc/s/conf.d/new.toml");
  await clock.advance(150);
  assertEquals(seen, []);
  await clock.advance(50);
  assertEquals(seen, [["/etc/s/main.toml", "/etc/s/conf.d/new.toml"]]);

  watch.update({ files: ["/srv/x.toml"], dirs: [] });
  assertEquals(w.calls[0].stopped, true);
  w.emit("/etc/s/main.toml");
  w.emit("/srv/x.toml");
  await clock.advance(200);
  assertEquals(seen[1], ["/srv/x.toml"]);

  w.emit("/srv/x.toml");
  watch.close();
  await clock.advance(1000);
  assertEquals(seen.length, 2);
  assertEquals(w.calls[1].stopped, true);
});

Deno.test("watchConfig sees a Kubernetes ConfigMap update (a renamed ..data directory)", async () => {
  const clock = new FakeClock(0);
  const w = fakeWatch();
  const seen: string[][] = [];
  watchConfig({
    platform: w.platform,
    clock,
    paths: { files: ["/etc/sextant/sextant.toml"], dirs: [] },
    onChange: (c) => seen.push(c),
  });
  w.emit("/etc/sextant/..2026_11_24_04_12_00.123");
  w.emit("/etc/sextant/..data");
  await clock.advance(200);
  assertEquals(seen, [["/etc/sextant/..2026_11_24_04_12_00.123", "/etc/sextant/..data"]]);
});
