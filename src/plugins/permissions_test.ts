import { assertEquals } from "../../tests/assert.ts";
import {
  absolutePaths,
  denoFlags,
  describePermissions,
  intersect,
  NO_PERMISSIONS,
  pathCovers,
  type Permissions,
} from "./permissions.ts";

const ask = (p: Partial<Permissions>): Permissions => ({ ...NO_PERMISSIONS, ...p });

Deno.test("permissions intersect never give more than the manifest asks for", () => {
  const m = ask({ net: ["api.example.com"], read: ["/data"], env: ["A", "B"] });
  const got = intersect(m, {
    net: true,
    read: ["/data/reports", "/etc"],
    env: ["B", "C"],
    run: true,
  });
  assertEquals(got.net, ["api.example.com"]);
  assertEquals(got.read, ["/data/reports"]);
  assertEquals(got.env, ["B"]);
  assertEquals(got.run, false);
});

Deno.test("permissions intersect keeps the manifest's grant where the operator says nothing", () => {
  const m = ask({ net: ["a.example:443"], sys: true });
  assertEquals(intersect(m, {}).net, ["a.example:443"]);
  assertEquals(intersect(m, { sys: false }).sys, false);
  assertEquals(intersect(m, { net: ["a.example"] }).net, ["a.example:443"]);
  assertEquals(intersect(m, { net: ["a.example:80"] }).net, false);
  assertEquals(intersect(ask({ net: true }), { net: ["b.example:8443"] }).net, ["b.example:8443"]);
});

Deno.test("permissions make relative paths absolute and render flags", () => {
  assertEquals(absolutePaths({ read: ["data", "/abs"] }, "/opt/p").read, ["/opt/p/data", "/abs"]);
  assertEquals(denoFlags(ask({ net: ["h:1", "h:2"], env: true })), [
    "--allow-net=h:1,h:2",
    "--allow-env",
  ]);
  assertEquals(describePermissions(NO_PERMISSIONS), "none");
  assertEquals(describePermissions(ask({ read: ["/x"], env: true })), "read=/x env=all");
});

Deno.test("permissions normalise .. in paths before narrowing, so a manifest cannot climb out", () => {
  const m = ask(
    absolutePaths(
      { write: ["/tmp/r/pl/p/../.."], read: ["../../etc"] },
      "/tmp/r/pl/p",
    ) as Permissions,
  );
  assertEquals(m.write, ["/tmp/r"]);
  assertEquals(m.read, ["/tmp/r/etc"]);
  // The operator allows only the plugin's own folder: the normalised /tmp/r is wider, so only the folder is granted.
  assertEquals(intersect(m, { write: ["/tmp/r/pl/p"] }).write, ["/tmp/r/pl/p"]);
  // Unnormalised input to intersect is compared in normal form too.
  assertEquals(intersect(ask({ read: ["/a/b/../.."] }), { read: ["/a/b"] }).read, ["/a/b"]);
  assertEquals(intersect(ask({ read: ["/a/b/../../etc"] }), { read: ["/a/b"] }).read, false);
});

Deno.test("permissions compare paths by segment, not by string prefix", () => {
  assertEquals(pathCovers("/a/b", "/a/bc"), false);
  assertEquals(pathCovers("/a/b/", "/a/b/c"), true);
  assertEquals(pathCovers("/a/b", "/a/b"), true);
  assertEquals(pathCovers("/", "/x"), true);
  assertEquals(pathCovers("/a/b", "/a/b/../c"), false);
  assertEquals(intersect(ask({ read: ["/a/bc"] }), { read: ["/a/b"] }).read, false);
});
