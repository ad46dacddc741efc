import { assert, assertEquals, assertRejects, waitFor } from "../../tests/assert.ts";
import { platform } from "./mod.ts";

Deno.test("readDir lists entries sorted with their kinds, and rejects a missing directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/b.txt`, "b");
    await Deno.mkdir(`${dir}/a`);
    await Deno.symlink(`${dir}/b.txt`, `${dir}/c`);
    assertEquals(await platform.readDir(dir), [
      { name: "a", isFile: false, isDirectory: true, isSymlink: false },
      { name: "b.txt", isFile: true, isDirectory: false, isSymlink: false },
      { name: "c", isFile: false, isDirectory: false, isSymlink: true },
    ]);
    await assertRejects(() => platform.readDir(`${dir}/missing`), Error);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watch reports a changed file in a watched directory, ignores missing paths, and stops", async () => {
  const dir = await Deno.makeTempDir();
  const seen: string[] = [];
  const stop = platform.watch([dir, `${dir}/missing`], (p) => seen.push(p));
  try {
    await Deno.writeTextFile(`${dir}/x.toml`, "a = 1");
    await waitFor(() => seen.includes(`${dir}/x.toml`), "watch event");
    stop();
    // A second watcher proves the event was delivered; the stopped one must not have seen it.
    const second: string[] = [];
    const stopSecond = platform.watch([dir], (p) => second.push(p));
    await Deno.writeTextFile(`${dir}/y.toml`, "a = 2");
    await waitFor(() => second.includes(`${dir}/y.toml`), "second watcher event");
    stopSecond();
    assert(!seen.includes(`${dir}/y.toml`), `event after stop: ${seen}`);
  } finally {
    stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watch with recursive reports changes in subdirectories, also ones created later", async () => {
  const dir = await Deno.makeTempDir();
  const seen: string[] = [];
  await Deno.mkdir(`${dir}/a/b`, { recursive: true });
  const stop = platform.watch([dir], (p) => seen.push(p), { recursive: true });
  try {
    await Deno.writeTextFile(`${dir}/a/b/x.ts`, "1");
    await waitFor(() => seen.includes(`${dir}/a/b/x.ts`), "nested watch event");
    await Deno.mkdir(`${dir}/c`);
    await waitFor(() => seen.includes(`${dir}/c`), "new directory event");
    await Deno.writeTextFile(`${dir}/c/y.ts`, "1");
    await waitFor(() => seen.includes(`${dir}/c/y.ts`), "event in the new directory");
  } finally {
    stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("realPath follows symlinks and resolves .., null for a missing path", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/real`);
    await Deno.symlink(`${dir}/real`, `${dir}/link`);
    assertEquals(await platform.realPath(`${dir}/link/../link`), `${dir}/real`);
    assertEquals(await platform.realPath(`${dir}/missing`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
