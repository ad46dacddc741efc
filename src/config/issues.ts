/**
 * Turns zod issues into messages a user understands, each with the document
 * path it is about and the path to locate it at. Validation runs with an
 * error map that marks zod's own messages ({@linkcode DEFAULT_MESSAGE}), so a
 * message written by a component's schema is kept and only zod's defaults are
 * rewritten.
 * @module
 */
import type { z } from "zod";
import { redactCredentials } from "../core/mod.ts";
import { isTable, lookup } from "./path.ts";
import type { Path } from "./positions.ts";
import { allowedKeys } from "./schema_walk.ts";
import { isSecretKey } from "./secrets.ts";
import { didYouMean } from "./suggest.ts";

/** What the error map returns: "no message of the schema's own". */
export const DEFAULT_MESSAGE = "\u0000sextant:default";

/** One problem found by validation. */
export interface Problem {
  /** The key path printed with the message. */
  path: Path;
  /** Where to locate it (the enclosing table for a missing key). */
  at: Path;
  message: string;
}

type Issue = z.core.$ZodIssue;
type Seg = string | number;

interface Ctx {
  schema: z.ZodType;
  data: unknown;
  out: (Problem & { missing?: string; suggested?: string })[];
  /** Masks secrets (interpolated values) in a found string before anything else touches it. */
  mask: (s: string) => string;
}

const q = (s: unknown) => JSON.stringify(s);

/**
 * Converts zod issues (from `safeParse(data, { error: () => DEFAULT_MESSAGE })`)
 * into problems. Each unknown key is its own problem; a union's noise is
 * reduced to the member the data was meant for.
 */
export function describeIssues(
  issues: readonly Issue[],
  schema: z.ZodType,
  data: unknown,
  mask: (s: string) => string = (s) => s,
): Problem[] {
  const ctx: Ctx = { schema, data, out: [], mask };
  for (const issue of issues) convert(issue, [], ctx);
  // `nmae` → "did you mean name?" already explains the missing `name`.
  const suggested = new Set(
    ctx.out.filter((p) => p.suggested).map((p) => q([...p.path.slice(0, -1), p.suggested])),
  );
  return ctx.out
    .filter((p) => !(p.missing && suggested.has(q([...p.path, p.missing]))))
    .map(({ path, at, message }) => ({ path, at, message }));
}

function convert(iss: Issue, prefix: Path, ctx: Ctx): void {
  const path = [...prefix, ...iss.path.filter((s): s is Seg => typeof s !== "symbol")];
  const own = iss.message === DEFAULT_MESSAGE ? undefined : iss.message;
  const here = lookup(ctx.data, path);
  const value = here.found ? here.value : iss.input;
  const parent = path.slice(0, -1);
  const last = path[path.length - 1];

  if (iss.code === "unrecognized_keys") {
    for (const key of iss.keys) unknownKey([...path, key], ctx);
    return;
  }
  const absent = !here.found && typeof last === "string" && isTable(lookup(ctx.data, parent).value);
  if (
    absent && (iss.code === "invalid_type" || iss.code === "invalid_value" ||
      (iss.code === "invalid_union" && iss.discriminator === undefined))
  ) {
    // Always this wording: a member's custom message rarely fits an absent key.
    ctx.out.push({
      path: parent,
      at: parent,
      message: `missing required key ${q(last)}`,
      missing: last,
    });
    return;
  }
  if (iss.code === "invalid_union") {
    union(iss, path, value, ctx);
    return;
  }
  ctx.out.push({ path, at: path, message: message(iss, value, path, own, ctx.mask) });
}

/** The message of a single-value issue. */
function message(
  iss: Issue,
  value: unknown,
  path: Path,
  own: string | undefined,
  mask: (s: string) => string,
): string {
  const found = describe(value, path, mask);
  if (own !== undefined) {
    // Components may write just what they expect; the user also needs what they wrote.
    const scalar = ["string", "number", "boolean"].includes(typeof value);
    return /\bfound\b/i.test(own) || !scalar || iss.code === "invalid_key"
      ? own
      : `${own}, found ${found}`;
  }
  switch (iss.code) {
    case "invalid_type":
      if (iss.expected === "number" && typeof value === "number") {
        return `expected a finite number, found ${found}`;
      }
      return `expected ${typeName(iss.expected)}, found ${found}`;
    case "invalid_value":
      return oneOf(iss.values.map(q), value, path, iss.values);
    case "too_small":
    case "too_big":
      return bound(iss, value);
    case "invalid_format":
      return `expected ${formatName(iss)}, found ${found}`;
    case "not_multiple_of":
      return `expected a multiple of ${iss.divisor}, found ${found}`;
    case "invalid_key": {
      // The value at the path is the entry's value; the issue's input is the key.
      const sub = iss.issues[0];
      const key = iss.input;
      const detail = !sub
        ? ""
        : sub.message !== DEFAULT_MESSAGE
        ? sub.message
        : message(sub, key, [], undefined, mask);
      return `invalid key ${q(key)}${detail ? `: ${detail}` : ""}`;
    }
    default:
      return `invalid value, found ${found}`;
  }
}

function unknownKey(path: Path, ctx: Ctx): void {
  const key = String(path[path.length - 1]);
  const table = path.slice(0, -1);
  const allowed = allowedKeys(ctx.schema, table, ctx.data);
  const here = lookup(ctx.data, table).value;
  const present = isTable(here) ? Object.keys(here) : [];
  const suggested = didYouMean(key, allowed.filter((k) => !present.includes(k)));
  let text = `unknown key ${q(key)}`;
  if (suggested) text += ` (did you mean ${q(suggested)}?)`;
  else if (allowed.length > 0 && allowed.length <= 15) {
    text += `; allowed keys: ${allowed.map(q).join(", ")}`;
  }
  ctx.out.push({ path, at: path, message: text, suggested });
}

function union(
  iss: Extract<Issue, { code: "invalid_union" }>,
  path: Path,
  value: unknown,
  ctx: Ctx,
): void {
  const own = iss.message === DEFAULT_MESSAGE ? undefined : iss.message;
  const disc = iss.discriminator;
  if (disc !== undefined && iss.errors.length === 0 && "options" in iss && iss.options) {
    // zod puts the discriminator at the end of the path.
    const table = path[path.length - 1] === disc ? path.slice(0, -1) : path;
    discriminator(disc, iss.options, table, ctx, own);
    return;
  }
  if (iss.errors.length === 0) {
    ctx.out.push({ path, at: path, message: own ?? `matches more than one alternative` });
    return;
  }
  const fitting = iss.errors.filter((branch) => rootExpectations(branch) === undefined);
  if (fitting.length > 0 && own === undefined) {
    // The data was meant for one member; the others only add noise.
    const best = fitting.reduce((a, b) => (b.length < a.length ? b : a));
    for (const sub of best) convert(sub, path, ctx);
    return;
  }
  if (own !== undefined) {
    ctx.out.push({ path, at: path, message: message(iss, value, path, own, ctx.mask) });
    return;
  }
  const alternatives = [...new Set(iss.errors.flatMap((b) => rootExpectations(b) ?? []))];
  ctx.out.push({ path, at: path, message: oneOf(alternatives, value, path) });
}

/** What a union member expected, when it failed on the value's type or value itself. */
function rootExpectations(branch: readonly Issue[]): string[] | undefined {
  for (const e of branch) {
    if (e.path.length !== 0) continue;
    if (e.code === "invalid_type") return [typeName(e.expected)];
    if (e.code === "invalid_value") return e.values.map(q);
    if (e.code === "invalid_union" && e.errors.length > 0) {
      const subs = e.errors.map(rootExpectations);
      if (subs.every((s) => s !== undefined)) return subs.flat() as string[];
    }
  }
  return undefined;
}

function discriminator(
  disc: string,
  options: readonly unknown[],
  table: Path,
  ctx: Ctx,
  own?: string,
): void {
  const tag = lookup(ctx.data, [...table, disc]);
  const expected = `expected one of ${options.map(q).join(", ")}`;
  if (!tag.found) {
    ctx.out.push({
      path: table,
      at: table,
      message: own ?? `missing required key ${q(disc)}; ${expected}`,
    });
    return;
  }
  const at = [...table, disc];
  let text: string;
  if (typeof tag.value === "string") {
    const noun = nounOf(table);
    const suggestion = didYouMean(
      tag.value,
      options.filter((o): o is string => typeof o === "string"),
    );
    text = `unknown ${noun ? `${noun} ` : ""}${disc} ${q(tag.value)}` +
      `${suggestion ? ` (did you mean ${q(suggestion)}?)` : ""}; ${expected}`;
  } else {
    text = `${expected}, found ${describe(tag.value, at, ctx.mask)}`;
  }
  ctx.out.push({ path: at, at, message: own ?? text });
}

/** `custom_metrics.sources[0]` → "source". */
function nounOf(table: Path): string {
  const key = [...table].reverse().find((s): s is string => typeof s === "string");
  if (!key) return "";
  if (/ies$/.test(key)) return key.slice(0, -3) + "y";
  if (/(ss|x|ch|sh)es$/.test(key)) return key.slice(0, -2);
  if (/[^su]s$/.test(key) && !/is$/.test(key)) return key.slice(0, -1);
  return key;
}

/** "expected one of ..., found ..." with a suggestion for a mistyped string. */
function oneOf(
  alternatives: string[],
  value: unknown,
  path: Path,
  raw?: readonly unknown[],
): string {
  const list = alternatives.length === 1
    ? alternatives[0]
    : alternatives.every((a) => a.startsWith('"'))
    ? `one of ${alternatives.join(", ")}`
    : alternatives.slice(0, -1).join(", ") + ` or ${alternatives[alternatives.length - 1]}`;
  if (typeof value !== "string" || isSecretPath(path)) {
    return `expected ${list}, found ${describe(value, path)}`;
  }
  const strings = (raw ?? alternatives.filter((a) => a.startsWith('"')).map((a) => JSON.parse(a)))
    .filter((v): v is string => typeof v === "string");
  const suggestion = didYouMean(value, strings);
  return `expected ${list}, found ${q(value)}${
    suggestion ? ` (did you mean ${q(suggestion)}?)` : ""
  }`;
}

function typeName(expected: string): string {
  const names: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "an integer",
    bigint: "an integer",
    boolean: "a boolean (true or false)",
    array: "an array",
    tuple: "an array",
    object: "a table",
    record: "a table",
    map: "a table",
    date: "a date-time",
    null: "no value",
    undefined: "no value",
    never: "no value here",
  };
  return names[expected] ?? expected;
}

function formatName(iss: Extract<Issue, { code: "invalid_format" }>): string {
  const extra = iss as unknown as Record<string, string>;
  switch (iss.format) {
    case "regex":
      return `a string matching ${iss.pattern}`;
    case "starts_with":
      return `a string starting with ${q(extra.prefix)}`;
    case "ends_with":
      return `a string ending with ${q(extra.suffix)}`;
    case "includes":
      return `a string containing ${q(extra.includes)}`;
    case "url":
      return "a URL";
    case "email":
      return "an email address";
    default:
      return `a valid ${iss.format}`;
  }
}

function bound(iss: Extract<Issue, { code: "too_small" | "too_big" }>, value: unknown): string {
  const small = iss.code === "too_small";
  const limit = Number(small ? iss.minimum : iss.maximum);
  const countable = iss.origin === "string"
    ? "character"
    : iss.origin === "array" || iss.origin === "set"
    ? "item"
    : "";
  if (countable) {
    const size = typeof value === "string"
      ? [...value].length
      : Array.isArray(value)
      ? value.length
      : 0;
    if (small && limit === 1 && !iss.exact) return `must not be empty`;
    const how = iss.exact ? "exactly" : small ? "at least" : "at most";
    return `expected ${how} ${limit} ${countable}${limit === 1 ? "" : "s"}, found ${size}`;
  }
  const op = small ? (iss.inclusive ? ">=" : ">") : (iss.inclusive ? "<=" : "<");
  return `expected a number ${op} ${limit}, found ${describe(value, [])}`;
}

function isSecretPath(path: Path): boolean {
  const keys = path.filter((s): s is string => typeof s === "string");
  return keys.length > 0 && isSecretKey(keys[keys.length - 1], keys[keys.length - 2]);
}

/**
 * How a found value is shown: its type and, unless it is a secret, the value.
 * `mask` hides interpolated secrets first: a URL's own masking or the cut to 60
 * characters would otherwise change the text so that a secret no longer matches.
 */
export function describe(value: unknown, path: Path, mask?: (s: string) => string): string {
  const hidden = isSecretPath(path);
  if (typeof value === "string") {
    if (hidden) return "a string (value hidden)";
    // Mask first: cutting the text short could cut off what marks a credential (the '@').
    const masked = [...redactCredentials(mask ? mask(value) : value)];
    const shown = masked.length > 60 ? masked.slice(0, 57).join("") + "..." : masked.join("");
    return `string ${q(shown)}`;
  }
  if (typeof value === "number") {
    if (hidden) return "a number (value hidden)";
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return `number ${value}`;
  }
  if (typeof value === "boolean") return `boolean ${value}`;
  if (value instanceof Date) return "a date-time";
  if (Array.isArray(value)) return "an array";
  if (isTable(value)) return "a table";
  return "nothing";
}
