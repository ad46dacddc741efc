/**
 * Reads a zod schema's structure along a document path, so that messages can
 * name the keys allowed at that path. For unions the member is picked by the
 * data (for a discriminated union, by the discriminator's value).
 * @module
 */
import type { z } from "zod";
import { isTable, lookup } from "./path.ts";
import type { Path } from "./positions.ts";

/** The parts of zod's internal definitions this module reads. */
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  out?: Schema;
  getter?: () => Schema;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  element?: Schema;
  valueType?: Schema;
  items?: Schema[];
  rest?: Schema | null;
  options?: Schema[];
  discriminator?: string;
  left?: Schema;
  right?: Schema;
  values?: unknown[];
  entries?: Record<string, unknown>;
}
interface Schema {
  _zod: { def: Def };
}

const WRAPPERS = new Set([
  "optional",
  "nullable",
  "default",
  "prefault",
  "nonoptional",
  "readonly",
  "catch",
  "success",
]);

/** Strips wrappers that do not change the input's shape (optional, default, pipe, lazy...). */
function unwrap(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let guard = 0; s && guard < 64; guard++) {
    const def = s._zod.def;
    if (WRAPPERS.has(def.type)) s = def.innerType;
    else if (def.type === "pipe") s = def.in?._zod.def.type === "transform" ? def.out : def.in;
    else if (def.type === "lazy") s = def.getter?.();
    else return s;
  }
  return s;
}

/** The values a union member's discriminator accepts. */
function discriminatorValues(option: Schema, key: string): unknown[] {
  const field = unwrap(unwrap(option)?._zod.def.shape?.[key]);
  const def = field?._zod.def;
  if (def?.type === "literal") return def.values ?? [];
  if (def?.type === "enum") return Object.values(def.entries ?? {});
  return [];
}

/** The member of a union that `value` was meant for, if one can be told. */
function pickMember(def: Def, value: unknown): Schema | undefined {
  const options = def.options ?? [];
  if (def.discriminator) {
    if (!isTable(value)) return undefined;
    const tag = value[def.discriminator];
    return options.find((o) => discriminatorValues(o, def.discriminator!).includes(tag));
  }
  let best: Schema | undefined;
  let bestScore = 0;
  for (const option of options) {
    const kind = resolve(option, value)?._zod.def.type;
    let score = 0;
    if (isTable(value) && (kind === "object" || kind === "record" || kind === "intersection")) {
      const keys = objectKeys(option, value);
      score = 1 + Object.keys(value).filter((k) => keys.includes(k)).length;
    } else if (Array.isArray(value) && (kind === "array" || kind === "tuple")) score = 1;
    if (score > bestScore) {
      best = option;
      bestScore = score;
    }
  }
  return best;
}

/** Unwraps `schema` and, for unions, picks the member that fits `value`. */
function resolve(schema: Schema | undefined, value: unknown): Schema | undefined {
  let s = unwrap(schema);
  for (let guard = 0; s && s._zod.def.type === "union" && guard < 16; guard++) {
    s = unwrap(pickMember(s._zod.def, value));
  }
  return s;
}

function child(schema: Schema, seg: string | number): Schema | undefined {
  const def = schema._zod.def;
  switch (def.type) {
    case "object": {
      const field = typeof seg === "string" && def.shape && Object.hasOwn(def.shape, seg)
        ? def.shape[seg]
        : undefined;
      return field ?? (def.catchall?._zod.def.type === "never" ? undefined : def.catchall);
    }
    case "record":
      return def.valueType;
    case "array":
      return def.element;
    case "tuple":
      return typeof seg === "number" ? def.items?.[seg] ?? def.rest ?? undefined : undefined;
    case "intersection": {
      const l = unwrap(def.left);
      const r = unwrap(def.right);
      return (l && child(l, seg)) ?? (r && child(r, seg));
    }
    default:
      return undefined;
  }
}

/** The key names an object schema (or intersection of them) declares. */
function objectKeys(schema: Schema | undefined, value: unknown): string[] {
  const s = resolve(schema, value);
  const def = s?._zod.def;
  if (def?.type === "object") return Object.keys(def.shape ?? {});
  if (def?.type === "intersection") {
    return [...objectKeys(def.left, value), ...objectKeys(def.right, value)];
  }
  return [];
}

/**
 * The schema that validates the value at `path` of `data`, with wrappers
 * stripped and union members picked by the data; `undefined` when it cannot be told.
 */
export function schemaAt(root: z.ZodType, path: Path, data: unknown): Schema | undefined {
  let s: Schema | undefined = root as unknown as Schema;
  for (let i = 0; i < path.length && s; i++) {
    const here = resolve(s, lookup(data, path.slice(0, i)).value);
    s = here && child(here, path[i]);
  }
  return s && resolve(s, lookup(data, path).value);
}

/**
 * The keys the schema allows in the table at `path`, in declaration order.
 *
 * @example Keys of a source table
 * ```ts
 * allowedKeys(schema, ["custom_metrics", "sources", 0], doc); // ["name", "interval", ...]
 * ```
 */
export function allowedKeys(root: z.ZodType, path: Path, data: unknown): string[] {
  return objectKeys(schemaAt(root, path, data), lookup(data, path).value);
}
