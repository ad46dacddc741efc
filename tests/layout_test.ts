/** The project's own rules (DESIGN.md §2, STYLE.md), checked on the tree. */
import { assertEquals } from "./assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

async function sourceFiles(): Promise<{ rel: string; text: string }[]> {
  const out = [];
  for await (const p of walk(`${ROOT}src`)) {
    if (p.endsWith("_test.ts") || p.includes("/testdata/")) continue;
    out.push({ rel: p.slice(ROOT.length), text: await Deno.readTextFile(p) });
  }
  return out;
}

/** Code lines with comments and the contents of string literals blanked out. */
function code(text: string): string[] {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .split("\n")
    .map((l) =>
      l
        .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, (m) =>
          m[0] + " ".repeat(m.length - 2) + m[0])
        .replace(/\/\/.*$/, "")
    );
}

Deno.test("layout keeps Deno.* and Bun.* inside src/runtime/", async () => {
  const leaks: string[] = [];
  for (const f of await sourceFiles()) {
    if (f.rel.startsWith("src/runtime/")) continue;
    code(f.text).forEach((l, i) => {
      if (/\b(Deno|Bun)\.[a-zA-Z]|\.\s*(Deno|Bun)\b|globalThis\s*\[/.test(l)) {
        leaks.push(`${f.rel}:${i + 1}: ${l.trim()}`);
      }
    });
  }
  assertEquals(leaks, []);
});

Deno.test("layout imports other folders only through their mod.ts", async () => {
  const bad: string[] = [];
  for (const f of await sourceFiles()) {
    const dir = f.rel.slice(0, f.rel.lastIndexOf("/"));
    for (const m of f.text.matchAll(/(?:from\s+|import\s*\(\s*)"(\.[^"]+)"/g)) {
      const target = new URL(m[1], `file:///${f.rel}`).pathname.slice(1);
      const tdir = target.slice(0, target.lastIndexOf("/"));
      // Inside the same component (or a sub-folder of it) anything goes.
      const own = f.rel.split("/").slice(0, 2).join("/");
      const sameComponent = tdir === dir || tdir.startsWith(own + "/") || tdir === own;
      const isSources = own === "src/sources";
      const kindOf = (p: string) => p.split("/").slice(0, 3).join("/");
      if (
        isSources && target.startsWith("src/sources/") && kindOf(target) !== kindOf(f.rel) &&
        !target.endsWith("/mod.ts")
      ) {
        bad.push(`${f.rel} -> ${target}`);
        continue;
      }
      if (!sameComponent && !target.endsWith("/mod.ts")) bad.push(`${f.rel} -> ${target}`);
    }
  }
  assertEquals(bad, []);
});

Deno.test("layout keeps source kinds from importing each other", async () => {
  const bad: string[] = [];
  for (const f of await sourceFiles()) {
    const m = /^src\/sources\/([^/]+)\//.exec(f.rel);
    if (!m) continue;
    for (const imp of f.text.matchAll(/from\s+"(\.[^"]+)"/g)) {
      const target = new URL(imp[1], `file:///${f.rel}`).pathname.slice(1);
      const t = /^src\/sources\/([^/]+)\//.exec(target);
      if (t && t[1] !== m[1]) bad.push(`${f.rel} -> ${target}`);
    }
  }
  assertEquals(bad, []);
});

Deno.test("layout keeps core free of I/O and other src imports", async () => {
  const bad: string[] = [];
  for (const f of await sourceFiles()) {
    if (!f.rel.startsWith("src/core/")) continue;
    for (const imp of f.text.matchAll(/from\s+"([^"]+)"/g)) {
      if (imp[1].startsWith("../") || imp[1].startsWith("node:")) {
        bad.push(`${f.rel} imports ${imp[1]}`);
      }
    }
  }
  assertEquals(bad, []);
});

Deno.test("layout allows console.* only in the CLI", async () => {
  const bad: string[] = [];
  for (const f of await sourceFiles()) {
    if (f.rel.startsWith("src/cli/")) continue;
    code(f.text).forEach((l, i) => {
      if (/\bconsole\s*[.[]/.test(l)) bad.push(`${f.rel}:${i + 1}`);
    });
  }
  assertEquals(bad, []);
});

Deno.test("layout gives every component folder a README", async () => {
  const missing: string[] = [];
  const folders = ["core", "config", "agent", "export", "runtime", "cli", "aggregate"].map((f) =>
    `src/${f}`
  );
  for await (const e of Deno.readDir(`${ROOT}src/sources`)) {
    if (e.isDirectory) folders.push(`src/sources/${e.name}`);
  }
  for (const f of folders) {
    try {
      await Deno.stat(`${ROOT}${f}/README.md`);
    } catch {
      missing.push(f);
    }
  }
  assertEquals(missing, []);
});
