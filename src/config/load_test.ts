import { z } from "zod";
import { ConfigError } from "../core/mod.ts";
import { platform } from "../runtime/mod.ts";
import { loadConfig } from "./mod.ts";
import {
  assert,
  assertEquals,
  assertNotIncludes,
  assertStringIncludes,
} from "./testdata/assert.ts";
import { DESIGN_EXAMPLE, loadFiles, removeDir, tempFiles } from "./testdata/helpers.ts";
import { type TestConfig, testSchema } from "./testdata/schema.ts";

const SOURCE = `[custom_metrics]\n\n[[custom_metrics.sources]]\nname = "db"\ntype = "database"\n` +
  `connection_string = "postgresql://u@h/db"\nqueries = [{name = "q", sql = "SELECT 1"}]\n`;

Deno.test("loadConfig validates the DESIGN.md example as written", async () => {
  const r = await loadFiles({ "sextant.toml": DESIGN_EXAMPLE });
  assertEquals(r.messages, []);
  assert(r.ok);
  const cm = r.config!.custom_metrics;
  assertEquals(cm.aggregation_window, 300_000);
  assertEquals(cm.plugin_directories, ["/opt/plugins", "./local_plugins"]);
  assertEquals(cm.sources[0].interval, 60_000);
  assertEquals(cm.sources[0].type, "database");
  assertEquals(cm.aggregators[0].percentiles, [50, 95, 99]);
  assertEquals(r.files, [`${r.dir}/sextant.toml`]);
  assertEquals((r.raw.custom_metrics as Record<string, unknown>).aggregation_window, "5m");
  assertEquals(r.baseDirOf(["custom_metrics", "plugin_directories"]), r.dir);
});

Deno.test("loadConfig reports a type mismatch with what was expected and found", async () => {
  const r = await loadFiles({ "a.toml": '[custom_metrics]\nplugin_directories = ["/x", 42]\n' });
  assert(!r.ok);
  assertEquals(r.config, undefined);
  assertEquals(r.messages, [
    "a.toml:2:29: custom_metrics.plugin_directories[1]: expected a string, found number 42",
  ]);
  assert(r.errors[0] instanceof ConfigError);
  assertEquals(r.errors[0].detail, "expected a string, found number 42");
  assertEquals([r.errors[0].line, r.errors[0].col, r.errors[0].path], [
    2,
    29,
    "custom_metrics.plugin_directories[1]",
  ]);
});

Deno.test("loadConfig suggests the closest enum value", async () => {
  const text = SOURCE.replace('sql = "SELECT 1"', 'sql = "SELECT 1", otel_type = "guage"');
  const r = await loadFiles({ "a.toml": text });
  assertEquals(r.messages, [
    'a.toml:7:43: custom_metrics.sources[0].queries[0].otel_type: expected one of "gauge", "counter", ' +
    '"updowncounter", "histogram", found "guage" (did you mean "gauge"?)',
  ]);
});

Deno.test("loadConfig reports each unknown key at the key, with a suggestion", async () => {
  const text = SOURCE + "intervall = 60\nbogus_thing = 1\n";
  const r = await loadFiles({ "a.toml": text });
  assertEquals(r.messages, [
    'a.toml:8:1: custom_metrics.sources[0].intervall: unknown key "intervall" (did you mean "interval"?)',
    'a.toml:9:1: custom_metrics.sources[0].bogus_thing: unknown key "bogus_thing"; allowed keys: "name", ' +
    '"interval", "timeout", "enabled", "attributes", "otel_type", "description", "breaker", "on_failure", "stale_after", "fallback", "max_series", "type", "connection_string", "queries"',
  ]);
});

Deno.test("loadConfig lists the allowed keys when no key is close", async () => {
  const r = await loadFiles({ "a.toml": "[custom_metrics]\nzzz = 1\n" });
  assertEquals(r.messages, [
    'a.toml:2:1: custom_metrics.zzz: unknown key "zzz"; allowed keys: "plugin_directories", ' +
    '"aggregation_window", "sources", "aggregators"',
  ]);
});

Deno.test("loadConfig does not suggest a key that is already present", async () => {
  const r = await loadFiles({ "a.toml": SOURCE + "interval = 60\nintervall = 60\n" });
  assertEquals(r.messages.length, 1);
  assertStringIncludes(
    r.messages[0],
    'custom_metrics.sources[0].intervall: unknown key "intervall"; allowed keys:',
  );
});

Deno.test("loadConfig reports a missing required key at the enclosing table", async () => {
  const r = await loadFiles({ "a.toml": SOURCE.replace('name = "db"\n', "") });
  assertEquals(r.messages, ['a.toml:3:18: custom_metrics.sources[0]: missing required key "name"']);
  const root = await loadFiles({ "a.toml": "# nothing\n" });
  assertEquals(root.messages, ['a.toml:1:1: missing required key "custom_metrics"']);
});

Deno.test("loadConfig drops the missing-key error that an unknown key's suggestion explains", async () => {
  const r = await loadFiles({ "a.toml": SOURCE.replace('name = "db"', 'nmae = "db"') });
  assertEquals(r.messages, [
    'a.toml:4:1: custom_metrics.sources[0].nmae: unknown key "nmae" (did you mean "name"?)',
  ]);
});

Deno.test("loadConfig reports an unknown source type once, at the type, with a suggestion", async () => {
  const r = await loadFiles({
    "a.toml":
      '[custom_metrics]\n[[custom_metrics.sources]]\nname = "web"\ntype = "htp"\nurl = 5\nbad = 1\n',
  });
  assertEquals(r.messages, [
    'a.toml:4:1: custom_metrics.sources[0].type: unknown source type "htp" (did you mean "http"?); ' +
    'expected one of "database", "http", "command"',
  ]);
});

Deno.test("loadConfig reports a missing or non-string discriminator", async () => {
  const missing = await loadFiles({
    "a.toml": '[custom_metrics]\n[[custom_metrics.sources]]\nname = "web"\n',
  });
  assertEquals(missing.messages, [
    'a.toml:2:18: custom_metrics.sources[0]: missing required key "type"; expected one of "database", "http", "command"',
  ]);
  const number = await loadFiles({
    "a.toml": "[custom_metrics]\n[[custom_metrics.sources]]\ntype = 3\n",
  });
  assertEquals(number.messages, [
    'a.toml:3:1: custom_metrics.sources[0].type: expected one of "database", "http", "command", found number 3',
  ]);
  const far = await loadFiles({
    "a.toml": '[custom_metrics]\n[[custom_metrics.sources]]\ntype = "snmp"\n',
  });
  assertEquals(far.messages, [
    'a.toml:3:1: custom_metrics.sources[0].type: unknown source type "snmp"; expected one of "database", "http", "command"',
  ]);
});

Deno.test("loadConfig reports one error for a value that fits no member of a union", async () => {
  const r = await loadFiles({ "a.toml": "[custom_metrics]\naggregation_window = true\n" });
  assertEquals(r.messages, [
    'a.toml:2:1: custom_metrics.aggregation_window: expected a duration: a number of seconds or a string like "30s", ' +
    "found boolean true",
  ]);
  const bad = await loadFiles({ "a.toml": '[custom_metrics]\naggregation_window = "5 minutes"\n' });
  assertEquals(bad.messages, [
    'a.toml:2:1: custom_metrics.aggregation_window: expected a duration like "500ms", "30s", "5m", "1h" or "1h30m", ' +
    'found "5 minutes"',
  ]);
});

Deno.test("loadConfig reports a union's errors from the member the data was meant for", async () => {
  const schema = z.strictObject({
    target: z.union([z.string(), z.strictObject({ host: z.string(), port: z.number() })]),
    mode: z.union([z.literal("auto"), z.number(), z.literal("off")]).optional(),
    level: z.union([z.literal("low"), z.literal("high")]).optional(),
  });
  const r = await loadFiles({
    "a.toml": 'target = { hots = "h", port = "80" }\nmode = true\nlevel = "hgih"\n',
  }, {
    schema,
  });
  assertEquals(r.messages, [
    'a.toml:1:12: target.hots: unknown key "hots" (did you mean "host"?)',
    'a.toml:1:24: target.port: expected a number, found string "80"',
    'a.toml:2:1: mode: expected "auto", a number or "off", found boolean true',
    'a.toml:3:1: level: expected one of "low", "high", found "hgih" (did you mean "high"?)',
  ]);
  const missing = await loadFiles({ "a.toml": "# empty\n" }, { schema });
  assertEquals(missing.messages, ['a.toml:1:1: missing required key "target"']);
});

Deno.test("loadConfig reports numeric bounds at the array element", async () => {
  const r = await loadFiles({
    "a.toml":
      '[custom_metrics]\n[[custom_metrics.aggregators]]\nsource = "a.b"\ntype = "percentile"\n' +
      'percentiles = [50, 95, 120, -1]\nwindow = "5m"\n',
  });
  assertEquals(r.messages, [
    "a.toml:5:24: custom_metrics.aggregators[0].percentiles[2]: expected a number <= 100, found number 120",
    "a.toml:5:29: custom_metrics.aggregators[0].percentiles[3]: expected a number >= 0, found number -1",
  ]);
});

Deno.test("loadConfig appends what was found to a schema's own message", async () => {
  const r = await loadFiles({
    "a.toml":
      '[custom_metrics]\n[[custom_metrics.sources]]\nname = "9lives"\ntype = "command"\ncommand = []\n' +
      'attributes = { "1x" = "a", ok = [1] }\n',
  });
  assertEquals(r.messages, [
    "a.toml:3:1: custom_metrics.sources[0].name: expected a name of letters, digits, '_' or '-', starting with a " +
    'letter (at most 64), found string "9lives"',
    "a.toml:5:1: custom_metrics.sources[0].command: must not be empty",
    'a.toml:6:16: custom_metrics.sources[0].attributes.1x: invalid key "1x": attribute keys must match ' +
    "[A-Za-z_][A-Za-z0-9_.]*",
    "a.toml:6:28: custom_metrics.sources[0].attributes.ok: expected a string, a number or a boolean (true or false), " +
    "found an array",
  ]);
});

Deno.test("loadConfig describes string, size and format limits", async () => {
  const schema = z.strictObject({
    s: z.string().min(3).optional(),
    t: z.string().max(2).optional(),
    l: z.array(z.number()).length(2).optional(),
    u: z.url().optional(),
    e: z.email().optional(),
    p: z.string().startsWith("/").optional(),
    m: z.number().multipleOf(5).optional(),
    g: z.number().gt(0).optional(),
    f: z.number().optional(),
    r: z.string().regex(/^a+$/).optional(),
    c: z.string().refine((v) => v === "ok").optional(),
    d: z.string().endsWith("x").optional(),
    i: z.string().includes("y").optional(),
    uuid: z.uuid().optional(),
  });
  const text =
    's = "ab"\nt = "abc"\nl = [1]\nu = "nope"\ne = "nope"\np = "rel"\nm = 7\ng = 0\nf = inf\n' +
    'r = "b"\nc = "no"\nd = "a"\ni = "a"\nuuid = "u"\n';
  const r = await loadFiles({ "a.toml": text }, { schema });
  assertEquals(r.messages, [
    "a.toml:1:1: s: expected at least 3 characters, found 2",
    "a.toml:2:1: t: expected at most 2 characters, found 3",
    "a.toml:3:1: l: expected exactly 2 items, found 1",
    'a.toml:4:1: u: expected a URL, found string "nope"',
    'a.toml:5:1: e: expected an email address, found string "nope"',
    'a.toml:6:1: p: expected a string starting with "/", found string "rel"',
    "a.toml:7:1: m: expected a multiple of 5, found number 7",
    "a.toml:8:1: g: expected a number > 0, found number 0",
    "a.toml:9:1: f: expected a finite number, found inf",
    'a.toml:10:1: r: expected a string matching /^a+$/, found string "b"',
    'a.toml:11:1: c: invalid value, found string "no"',
    'a.toml:12:1: d: expected a string ending with "x", found string "a"',
    'a.toml:13:1: i: expected a string containing "y", found string "a"',
    'a.toml:14:1: uuid: expected a valid uuid, found string "u"',
  ]);
});

Deno.test("loadConfig describes found values of every TOML type and hides secrets", async () => {
  const schema = z.strictObject({
    n: z.array(z.number()),
    password: z.string().optional(),
    api_token: z.number().optional(),
    headers: z.record(z.string(), z.number()).optional(),
  });
  const long = "x".repeat(80);
  const text =
    `n = ["${long}", 1979-05-27T07:32:00Z, [1], { a = 1 }, true, nan, -inf]\npassword = 12\n` +
    'api_token = "S3cr3t-Pa55"\nheaders = { Cookie = "S3cr3t-Pa55" }\n';
  const r = await loadFiles({ "a.toml": text }, { schema });
  assertEquals(r.messages, [
    `a.toml:1:6: n[0]: expected a number, found string "${"x".repeat(57)}..."`,
    "a.toml:1:90: n[1]: expected a number, found a date-time",
    "a.toml:1:112: n[2]: expected a number, found an array",
    "a.toml:1:117: n[3]: expected a number, found a table",
    "a.toml:1:128: n[4]: expected a number, found boolean true",
    "a.toml:1:134: n[5]: expected a finite number, found nan",
    "a.toml:1:139: n[6]: expected a finite number, found -inf",
    "a.toml:2:1: password: expected a string, found a number (value hidden)",
    "a.toml:3:1: api_token: expected a number, found a string (value hidden)",
    "a.toml:4:13: headers.Cookie: expected a number, found a string (value hidden)",
  ]);
  for (const m of r.messages) assertNotIncludes(m, "S3cr3t-Pa55");
});

Deno.test("loadConfig reports every error at once, sorted by line and column", async () => {
  const text = [
    "config_version = 1.5",
    "[custom_metrics]",
    'aggregation_window = "soon"',
    "[[custom_metrics.aggregators]]",
    'source = "x"',
    'type = "percentil"',
    'window = "1m"',
    "[[custom_metrics.sources]]",
    'name = "db"',
    'type = "database"',
    "connection_string = 1",
    "queries = []",
  ].join("\n");
  const r = await loadFiles({ "a.toml": text });
  assertEquals(r.messages, [
    "a.toml:1:1: config_version: expected an integer, found number 1.5",
    'a.toml:3:1: custom_metrics.aggregation_window: expected a duration like "500ms", "30s", "5m", "1h" or "1h30m", ' +
    'found "soon"',
    'a.toml:6:1: custom_metrics.aggregators[0].type: expected one of "percentile", "stats", "sma", "ewma", ' +
    'found "percentil" (did you mean "percentile"?)',
    "a.toml:11:1: custom_metrics.sources[0].connection_string: expected a string, found number 1",
    "a.toml:12:1: custom_metrics.sources[0].queries: must not be empty",
  ]);
});

Deno.test("loadConfig reports a missing file with the path as given", async () => {
  const r = await loadConfig({ files: ["does/not/exist.toml"], schema: testSchema, platform });
  assert(!r.ok);
  assertEquals(r.errors.map((e) => e.message), [
    "does/not/exist.toml:1:1: cannot read config file: no such file",
  ]);
  assertEquals(r.files, []);
  assertEquals(r.raw, {});
  assertEquals(r.locate(["custom_metrics"]), {
    file: "does/not/exist.toml",
    line: 1,
    col: 1,
    path: "custom_metrics",
  });
});

Deno.test("loadConfig reports a directory given as config file", async () => {
  const dir = await tempFiles({});
  try {
    const r = await loadConfig({ files: [dir], schema: testSchema, platform });
    assertEquals(r.errors.map((e) => e.message), [
      `${dir}:1:1: cannot read config file: is a directory`,
    ]);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("loadConfig maps read failures to short reasons", async () => {
  const failing = (code: string | undefined, message: string) => ({
    stat: () => Promise.resolve({ isFile: true, isDirectory: false, size: 1, mtimeMs: 0 }),
    readFile: () => Promise.reject(Object.assign(new Error(message), code ? { code } : {})),
    cwd: () => "/",
    env: () => undefined,
    readTextFile: () => Promise.reject(new Error("unused")),
    readDir: () => Promise.resolve([]),
  });
  const denied = await loadConfig({
    files: ["x.toml"],
    schema: testSchema,
    platform: failing("EACCES", "EACCES: x"),
  });
  assertEquals(denied.errors.map((e) => e.message), [
    "x.toml:1:1: cannot read config file: permission denied",
  ]);
  const odd = await loadConfig({
    files: ["x.toml"],
    schema: testSchema,
    platform: failing(undefined, "disk on fire\nat x"),
  });
  assertEquals(odd.errors.map((e) => e.message), [
    "x.toml:1:1: cannot read config file: disk on fire",
  ]);
});

Deno.test("loadConfig locates invalid UTF-8 at the offending byte", async () => {
  const bytes = new Uint8Array([
    ...new TextEncoder().encode('[custom_metrics]\nplugin_directories = ["é'),
    0xc3,
    0x28,
    ...new TextEncoder().encode('"]\n'),
  ]);
  const r = await loadFiles({ "a.toml": bytes });
  assertEquals(r.messages, ["a.toml:2:25: invalid UTF-8 byte 0xC3; config files must be UTF-8"]);
  assertEquals(r.files.length, 1);
});

Deno.test("loadConfig rejects overlong, surrogate and truncated UTF-8 sequences", async () => {
  const cases: [number[], string][] = [
    [[0x61, 0xe0, 0x80, 0xaf], "a.toml:1:2: invalid UTF-8 byte 0xE0"], // overlong "/"
    [[0x0a, 0xed, 0xa0, 0x80], "a.toml:2:1: invalid UTF-8 byte 0xED"], // surrogate
    [[0x61, 0x62, 0xf0, 0x9f], "a.toml:1:3: invalid UTF-8 byte 0xF0"], // truncated
    [[0xf4, 0x90, 0x80, 0x80], "a.toml:1:1: invalid UTF-8 byte 0xF4"], // above U+10FFFF
    [
      [0xff, 0xfe, 0x61, 0x00],
      "a.toml:1:1: invalid UTF-8 byte 0xFF; the file looks UTF-16 encoded",
    ],
    [[0xef, 0xbb, 0xbf, 0x61, 0x80], "a.toml:1:2: invalid UTF-8 byte 0x80"], // after a BOM
  ];
  for (const [bytes, expected] of cases) {
    const r = await loadFiles({ "a.toml": new Uint8Array(bytes) });
    assertEquals(r.messages.length, 1);
    assert(r.messages[0].startsWith(expected), r.messages[0]);
  }
});

Deno.test("loadConfig reports a TOML syntax error as one clean located line", async () => {
  const r = await loadFiles({
    "a.toml": '[custom_metrics]\nplugin_directories = ["a", "b"\naggregation_window = "5m"\n',
  });
  assertEquals(r.messages, ["a.toml:3:1: invalid TOML: expected comma or end of structure"]);
  assertEquals(r.errors[0].path, "");
  const dup = await loadFiles({ "a.toml": "[a]\nx = 1\n[a]\n" });
  assertEquals(dup.messages, [
    "a.toml:3:2: invalid TOML: trying to redefine an already defined table or value",
  ]);
  const wide = await loadFiles({ "a.toml": 'k = "😀😀" x\n' });
  assertEquals(wide.messages.length, 1);
  assert(wide.messages[0].startsWith("a.toml:1:10: invalid TOML:"), wide.messages[0]);
});

Deno.test("loadConfig reports integers beyond 2^53 instead of rounding them", async () => {
  const r = await loadFiles({ "a.toml": "config_version = 9007199254740993\n[custom_metrics]\n" });
  assertEquals(r.messages, [
    "a.toml:1:1: config_version: integer 9007199254740993 is out of range; integers must be between -(2^53-1) and 2^53-1",
  ]);
  assertEquals(typeof r.raw.config_version, "number");
  // Only zod's view of that same value is dropped, not other errors at 1:1.
  const both = await loadFiles({ "a.toml": "config_version = 9007199254740993\n" });
  assertEquals(both.messages, [
    "a.toml:1:1: config_version: integer 9007199254740993 is out of range; integers must be between -(2^53-1) " +
    "and 2^53-1",
    'a.toml:1:1: missing required key "custom_metrics"',
  ]);
  const safe = await loadFiles({
    "a.toml": "config_version = 9007199254740991\n[custom_metrics]\n",
  });
  assert(safe.ok);
  assertEquals(safe.config!.config_version, 9007199254740991);
});

Deno.test("loadConfig locates an error at the end of a one-line array of 200,000 items quickly", async () => {
  const items = Array(199_999).fill('"/p"');
  const started = performance.now();
  const r = await loadFiles({
    "a.toml": `[custom_metrics]\nplugin_directories = [${items.join(", ")}, 42]\n`,
  });
  const ms = performance.now() - started;
  assertEquals(r.messages, [
    `a.toml:2:${23 + 199_999 * 6}: custom_metrics.plugin_directories[199999]: expected a string, ` +
    "found number 42",
  ]);
  assert(ms < 5_000, `took ${Math.round(ms)} ms`);
});

Deno.test("loadConfig reports one error instead of crashing on too many problems", async () => {
  const r = await loadFiles({
    "a.toml": `[custom_metrics]\nplugin_directories = [\n${Array(300_000).fill(1).join(",\n")}]\n`,
  });
  assertEquals(r.messages, ["a.toml:1:1: too many problems to report; validation gave up"]);
  assert(r.errors[0] instanceof ConfigError);
  assert(!r.ok);
});

Deno.test("loadConfig uses the embedded default when no file is given", async () => {
  const r = await loadConfig({
    files: [],
    embedded: { name: "<embedded default>", text: "[custom_metrics]\nplugin_directories = [1]\n" },
    schema: testSchema,
    platform,
  });
  assertEquals(r.errors.map((e) => e.message), [
    "<embedded default>:2:23: custom_metrics.plugin_directories[0]: expected a string, found number 1",
  ]);
  assertEquals(r.files, []);
  assertEquals(r.baseDirOf(["custom_metrics"]), platform.cwd());
  const broken = await loadConfig({
    files: [],
    embedded: { name: "<embedded default>", text: "x = " },
    schema: testSchema,
    platform,
  });
  assertEquals(broken.errors.length, 1);
  assert(
    broken.errors[0].message.startsWith("<embedded default>:1:5: invalid TOML:"),
    broken.errors[0].message,
  );
});

Deno.test("loadConfig validates an empty document when given nothing at all", async () => {
  const r = await loadConfig({ files: [], schema: testSchema, platform });
  assertEquals(r.errors.map((e) => e.message), [
    '<config>:1:1: missing required key "custom_metrics"',
  ]);
  const lenient = await loadConfig({
    files: [],
    schema: z.object({ a: z.number().default(1) }),
    platform,
  });
  assert(lenient.ok);
  assertEquals(lenient.config, { a: 1 });
});

Deno.test("loadConfig runs cross-field checks also on what validated when the schema failed", async () => {
  let calls = 0;
  const check = (c: TestConfig) => {
    calls++;
    return [
      { path: ["custom_metrics", "sources", 0, "name"], message: 'duplicate source name "db"' },
      {
        path: ["custom_metrics", "plugin_directories", 0],
        message: "does not exist",
        severity: "warning" as const,
      },
      {
        path: ["custom_metrics", "nowhere", 3],
        message: `sources: ${c.custom_metrics.sources.length}`,
      },
    ];
  };
  const good = SOURCE.replace(
    "[custom_metrics]\n",
    '[custom_metrics]\nplugin_directories = ["/nope"]\n',
  );
  const r = await loadFiles({ "a.toml": good }, { check });
  assertEquals(calls, 1);
  assert(!r.ok);
  assertEquals(r.messages, [
    "a.toml:1:2: custom_metrics.nowhere[3]: sources: 1",
    'a.toml:5:1: custom_metrics.sources[0].name: duplicate source name "db"',
  ]);
  assertEquals(r.warningMessages, [
    "a.toml:2:23: custom_metrics.plugin_directories[0]: does not exist",
  ]);
  // An invalid document: the checks run on what validated, with a view that says so.
  const views: boolean[] = [];
  const bad = await loadFiles(
    { "a.toml": SOURCE.replace("[custom_metrics]\n", "[custom_metrics]\nbad = 1\n") },
    { check: (c, view) => (views.push(view.whole), check(c)) },
  );
  assertEquals(calls, 2);
  assertEquals(views, [false]);
  assertEquals(bad.messages.slice(0, 2), [
    "a.toml:1:2: custom_metrics.nowhere[3]: sources: 1",
    'a.toml:2:1: custom_metrics.bad: unknown key "bad"; allowed keys: "plugin_directories", "aggregation_window", "sources", "aggregators"',
  ]);
});

Deno.test("loadConfig keeps ok when a check returns only warnings", async () => {
  const r = await loadFiles({ "a.toml": SOURCE }, {
    check: () => [{
      path: ["custom_metrics"],
      message: "aggregator input matches no source",
      severity: "warning",
    }],
  });
  assert(r.ok);
  assert(r.config !== undefined);
  assertEquals(r.warningMessages, [
    "a.toml:1:2: custom_metrics: aggregator input matches no source",
  ]);
});

Deno.test("loadConfig redacts credentials in messages", async () => {
  const r = await loadFiles({ "a.toml": SOURCE }, {
    check:
      () => [{ path: ["custom_metrics"], message: "cannot reach postgresql://u:S3cr3t-Pa55@h/db" }],
  });
  assertEquals(r.messages, ["a.toml:1:2: custom_metrics: cannot reach postgresql://u:***@h/db"]);
});

Deno.test("loadConfig masks credentials in a found value before shortening it", async () => {
  const schema = z.strictObject({
    url: z.string().startsWith("http"),
    mirror: z.string().startsWith("http"),
    backup: z.string().startsWith("http"),
    dsn: z.string().startsWith("http"),
  });
  const pass = "Hunter2-SuperSecret-Passphrase-0123456789-abcdefghij";
  const text = `url = "ftp://monitor:${pass}@example.com/"\n` +
    `mirror = "ftp://${pass}@example.com/"\n` +
    `backup = "ftp://monitor:${pass}@example.com/${"p".repeat(60)}"\n` +
    `dsn = "Server=db;Password=${pass};Database=metrics-and-more-metrics"\n`;
  const r = await loadFiles({ "a.toml": text }, { schema });
  assertEquals(r.messages, [
    'a.toml:1:1: url: expected a string starting with "http", found string "ftp://monitor:***@example.com/"',
    'a.toml:2:1: mirror: expected a string starting with "http", found string "ftp://***@example.com/"',
    'a.toml:3:1: backup: expected a string starting with "http", found string ' +
    `"ftp://monitor:***@example.com/${"p".repeat(27)}..."`,
    'a.toml:4:1: dsn: expected a string starting with "http", found string ' +
    '"Server=db;Password=***;Database=metrics-and-more-metrics"',
  ]);
  for (const m of r.messages) assertNotIncludes(m, "Hunter2");
});

Deno.test("loadConfig masks a URL userinfo without a password in any message", async () => {
  const r = await loadFiles({ "a.toml": SOURCE }, {
    check: () => [{ path: ["custom_metrics"], message: "cannot reach https://ghp_Tok3n@h/x" }],
  });
  assertEquals(r.messages, ["a.toml:1:2: custom_metrics: cannot reach https://***@h/x"]);
});

Deno.test("loadConfig locate points at keys and falls back to the nearest ancestor", async () => {
  const r = await loadFiles({ "a.toml": DESIGN_EXAMPLE });
  const f = `${r.dir}/a.toml`;
  assertEquals(r.locate(["custom_metrics", "sources", 0, "queries", 1, "params", 0]), {
    file: f,
    line: 12,
    col: 110,
    path: "custom_metrics.sources[0].queries[1].params[0]",
  });
  assertEquals(r.locate(["custom_metrics", "sources", 0, "timeout"]), {
    file: f,
    line: 5,
    col: 18,
    path: "custom_metrics.sources[0].timeout",
  });
  assertEquals(r.locate([]), { file: f, line: 1, col: 1, path: "" });
});

Deno.test("loadConfig names the kind of table in unknown-type messages", async () => {
  const kinds = z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("otlp") }),
    z.strictObject({ type: z.literal("prometheus") }),
  ]);
  const schema = z.strictObject({
    policies: z.array(kinds).optional(),
    boxes: z.array(kinds).optional(),
    exporter: kinds.optional(),
    status: z.array(kinds).optional(),
  });
  const text =
    'policies = [{ type = "otpl" }]\nboxes = [{ type = "otpl" }]\nstatus = [{ type = "otpl" }]\n' +
    '[exporter]\ntype = "promethus"\n';
  const r = await loadFiles({ "a.toml": text }, { schema });
  assertEquals(r.messages.map((m) => m.replace(/; expected.*/, "")), [
    'a.toml:1:15: policies[0].type: unknown policy type "otpl" (did you mean "otlp"?)',
    'a.toml:2:12: boxes[0].type: unknown box type "otpl" (did you mean "otlp"?)',
    'a.toml:3:13: status[0].type: unknown status type "otpl" (did you mean "otlp"?)',
    'a.toml:5:1: exporter.type: unknown exporter type "promethus" (did you mean "prometheus"?)',
  ]);
  const root = await loadFiles({ "a.toml": 'type = "otl"\n' }, { schema: kinds });
  assertEquals(root.messages, [
    'a.toml:1:1: type: unknown type "otl" (did you mean "otlp"?); expected one of "otlp", "prometheus"',
  ]);
});

Deno.test("loadConfig flattens nested unions and reports ambiguous exclusive unions", async () => {
  const schema = z.strictObject({
    level: z.union([z.union([z.literal("low"), z.literal("high")]), z.number()]).optional(),
    one: z.xor([z.string(), z.string().min(1)]).optional(),
    pair: z.tuple([z.number(), z.number()]).optional(),
  });
  const r = await loadFiles({ "a.toml": 'level = true\none = "x"\npair = [1]\n' }, { schema });
  assertEquals(r.messages, [
    'a.toml:1:1: level: expected "low", "high" or a number, found boolean true',
    "a.toml:2:1: one: matches more than one alternative",
    "a.toml:3:1: pair: expected at least 2 items, found 1",
  ]);
});

Deno.test("loadConfig keeps a __proto__ key as data without polluting prototypes", async () => {
  const r = await loadFiles({ "a.toml": '[custom_metrics]\n"__proto__" = { polluted = true }\n' });
  assertEquals(r.messages, [
    'a.toml:2:1: custom_metrics.__proto__: unknown key "__proto__"; allowed keys: ' +
    '"plugin_directories", "aggregation_window", "sources", "aggregators"',
  ]);
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  assertEquals(Object.keys(r.raw.custom_metrics as object), ["__proto__"]);
});
