/**
 * The parts of an invalid document that did validate, so that the
 * cross-field checks can run in the same pass as the schema ("every error at
 * once"): the values zod rejected are taken out, and items or tables that
 * cannot stand without them go too, until the rest validates.
 * @module
 */
import type { z } from "zod";
import { isTable, lookup } from "./path.ts";
import type { Path } from "./positions.ts";

/**
 * What a cross-field check may rely on. On a valid document everything is
 * known; on a salvaged one, values in a table that lost a key are known only
 * when they were written (a default may stand in for what the broken key
 * meant to set).
 */
export interface CheckView {
  /** True when the document validated as it was written. */
  readonly whole: boolean;
  /** Whether the value at `path` (written or defaulted) is what the user meant. */
  known(path: Path): boolean;
  /** Whether the array or table at `path` lost none of its items or keys. */
  complete(path: Path): boolean;
  /** The path as the user wrote it (items left out shift indices); for messages naming another item. */
  original(path: Path): Path;
}

/** The view of a document that validated as written. */
export const WHOLE: CheckView = {
  whole: true,
  known: () => true,
  complete: () => true,
  original: (path) => path,
};

/** A salvaged document: its validated data and the view for checks. */
export interface Salvaged<T> {
  data: T;
  view: CheckView;
}

/** Rounds of "remove what failed, validate again"; each round removes at least one value. */
const MAX_ROUNDS = 12;

interface Issue {
  code: string;
  path: PropertyKey[];
  keys?: string[];
}

/**
 * Removes what `issues` (and `unknown`) point at from `doc` and validates
 * again, until the rest validates; `undefined` when it does not within a few
 * rounds.
 */
export async function salvage<T>(
  schema: z.ZodType<T>,
  doc: Record<string, unknown>,
  issues: readonly Issue[],
  unknown: readonly Path[] = [],
): Promise<Salvaged<T> | undefined> {
  // Each array of the working copy remembers the original index of each of its items.
  const indices = new WeakMap<unknown[], number[]>();
  const work = clone(doc, indices) as Record<string, unknown>;
  const removed: Path[] = [];
  const original = (path: Path): Path => {
    const out: (string | number)[] = [];
    let cur: unknown = work;
    for (const seg of path) {
      if (Array.isArray(cur) && typeof seg === "number") {
        out.push(indices.get(cur)?.[seg] ?? seg);
        cur = cur[seg];
      } else {
        out.push(seg);
        cur = isTable(cur) ? cur[seg as string] : undefined;
      }
    }
    return out;
  };

  // Values known to be wrong although they validate (a string whose interpolation failed).
  let pending: readonly Issue[] = [
    ...issues,
    ...unknown.map((path) => ({ code: "unknown", path: [...path] })),
  ];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const doomed = new Set<string>();
    const cuts: Path[] = [];
    for (const issue of pending) {
      const path = issue.path.filter((s) => typeof s !== "symbol") as Path;
      if (issue.code === "unrecognized_keys" && issue.keys) {
        for (const k of issue.keys) cuts.push([...path, k]);
      } else cuts.push(path);
    }
    let progress = false;
    const arrays = new Set<unknown[]>();
    for (let cut of cuts) {
      // A missing required value takes its table or item with it.
      while (cut.length > 0 && !lookup(work, cut).found) cut = cut.slice(0, -1);
      if (cut.length === 0) return undefined;
      const key = JSON.stringify(cut);
      if (doomed.has(key)) continue;
      doomed.add(key);
      const parent = lookup(work, cut.slice(0, -1)).value;
      const last = cut[cut.length - 1];
      removed.push(original(cut));
      if (Array.isArray(parent) && typeof last === "number") {
        parent[last] = GONE;
        arrays.add(parent);
      } else if (isTable(parent)) delete parent[last as string];
      progress = true;
    }
    for (const array of arrays) {
      const from = indices.get(array) ?? array.map((_, i) => i);
      const keep = array.map((v, i) => (v === GONE ? -1 : i)).filter((i) => i >= 0);
      const kept = keep.map((i) => array[i]);
      indices.set(array, keep.map((i) => from[i]));
      array.length = 0;
      array.push(...kept);
    }
    if (!progress) return undefined;
    let parsed: z.ZodSafeParseResult<T>;
    try {
      parsed = await schema.safeParseAsync(work);
    } catch {
      return undefined;
    }
    if (parsed.success) {
      return { data: parsed.data, view: viewOf(work, removed, original) };
    }
    pending = parsed.error.issues as Issue[];
  }
  return undefined;
}

const GONE = Symbol("removed");

function viewOf(work: unknown, removed: Path[], original: (p: Path) => Path): CheckView {
  const parents = new Set(removed.map((p) => JSON.stringify(p.slice(0, -1))));
  const lostBelow = (parent: Path) => parents.has(JSON.stringify(parent));
  const known = (path: Path): boolean => {
    if (path.length === 0) return true;
    const parent = path.slice(0, -1);
    if (!known(parent)) return false;
    return lookup(work, path).found || !lostBelow(original(parent));
  };
  return {
    whole: false,
    known,
    complete: (path) => known(path) && !lostBelow(original(path)),
    original,
  };
}

function clone(value: unknown, indices: WeakMap<unknown[], number[]>): unknown {
  if (Array.isArray(value)) {
    const out = value.map((v) => clone(v, indices));
    indices.set(out, out.map((_, i) => i));
    return out;
  }
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: clone(v, indices),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
