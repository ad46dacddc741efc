/**
 * Composition: layers merge in order. Tables merge deeply; arrays of tables
 * whose items all have a `name` merge by name (a later `enabled = false`
 * removes the item); other arrays and scalars are replaced. Every merged value
 * remembers which layer wrote it, so errors point into the right file.
 * @module
 */
import type { ConfigLocation } from "../core/mod.ts";
import { ConfigError } from "../core/mod.ts";
import type { Layer } from "./layer.ts";
import { formatPath, isTable, setOwn } from "./path.ts";
import type { Path } from "./positions.ts";

/** Which layer wrote a value, and at which path of that layer's document. */
export interface Origin {
  layer: number;
  path: Path;
}

/** The origin of a merged value and of its children. */
export interface OriginNode {
  origin: Origin;
  kids: Map<string | number, OriginNode>;
  /**
   * Copied whole from `origin.layer`: a child without a node of its own was
   * written at the same path below `origin.path`. Saves a node per element of
   * a big array.
   */
  whole?: boolean;
}

/** The node of `seg` below `node`, derived when `node` was copied whole. */
function kidOf(node: OriginNode, seg: string | number): OriginNode | undefined {
  const kid = node.kids.get(seg);
  if (kid || !node.whole) return kid;
  const { layer, path } = node.origin;
  return { origin: { layer, path: [...path, seg] }, kids: new Map(), whole: true };
}

/** The merged document, its origins, and merge warnings. */
export interface Merged {
  doc: Record<string, unknown>;
  origins: OriginNode;
  warnings: ConfigError[];
}

/**
 * Merges layers in order (later wins).
 *
 * @example Two files
 * ```ts
 * const { doc } = mergeLayers([base, override]);
 * ```
 */
export function mergeLayers(layers: readonly Layer[]): Merged {
  const warnings: ConfigError[] = [];
  let doc: Record<string, unknown> = {};
  let origins: OriginNode = { origin: { layer: 0, path: [] }, kids: new Map() };
  layers.forEach((layer, n) => {
    const ctx = { layers, layer: n, warnings };
    [doc, origins] = mergeTables(doc, origins, layer.doc, [], ctx) as [
      Record<string, unknown>,
      OriginNode,
    ];
  });
  return { doc, origins, warnings };
}

interface Ctx {
  layers: readonly Layer[];
  layer: number;
  warnings: ConfigError[];
}

type Merge = [unknown, OriginNode];

function isNamedTableArray(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 &&
    v.every((x) => isTable(x) && typeof x.name === "string");
}

function mergeValue(
  base: unknown,
  baseNode: OriginNode,
  over: unknown,
  overPath: Path,
  ctx: Ctx,
): Merge {
  if (isTable(base) && isTable(over)) return mergeTables(base, baseNode, over, overPath, ctx);
  if (isNamedTableArray(base) && isNamedTableArray(over)) {
    return mergeByName(base, baseNode, over, overPath, ctx);
  }
  return fresh(over, ctx.layer, overPath);
}

function mergeTables(
  base: Record<string, unknown>,
  baseNode: OriginNode,
  over: Record<string, unknown>,
  overPath: Path,
  ctx: Ctx,
): Merge {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) setOwn(out, k, v);
  const kids = new Map(baseNode.kids);
  for (const [k, v] of Object.entries(over)) {
    const old = Object.hasOwn(base, k) ? kidOf(baseNode, k) : undefined;
    const [value, node] = old
      ? mergeValue(base[k], old, v, [...overPath, k], ctx)
      : fresh(v, ctx.layer, [...overPath, k]);
    setOwn(out, k, value);
    kids.set(k, node);
  }
  // Keys only the base has still come from where the base came from.
  return [out, { origin: baseNode.origin, kids, whole: baseNode.whole }];
}

function mergeByName(
  base: Record<string, unknown>[],
  baseNode: OriginNode,
  over: Record<string, unknown>[],
  overPath: Path,
  ctx: Ctx,
): Merge {
  const items: Merge[] = base.map((v, i) => [v, kidOf(baseNode, i) ?? baseNode]);
  over.forEach((item, j) => {
    const path = [...overPath, j];
    const at = items.findIndex(([v]) => (v as Record<string, unknown>).name === item.name);
    if (item.enabled === false) {
      if (at >= 0) {
        items.splice(at, 1);
        return;
      }
      if (Object.keys(item).every((k) => k === "name" || k === "enabled")) {
        const layer = ctx.layers[ctx.layer];
        ctx.warnings.push(
          new ConfigError(
            {
              file: layer.file,
              ...layer.positions.nearest([...path, "enabled"]),
              path: formatPath(path),
            },
            `no earlier file defines an item named ${
              JSON.stringify(item.name)
            }; nothing to disable`,
          ),
        );
        return;
      }
    }
    if (at >= 0) {
      items[at] = mergeTables(
        items[at][0] as Record<string, unknown>,
        items[at][1],
        item,
        path,
        ctx,
      );
    } else items.push(fresh(item, ctx.layer, path));
  });
  const kids = new Map<string | number, OriginNode>();
  items.forEach(([, node], i) => kids.set(i, node));
  return [items.map(([v]) => v), { origin: baseNode.origin, kids }];
}

/** A copy of `value` with every part attributed to `layer`. */
function fresh(value: unknown, layer: number, path: Path): Merge {
  return [copy(value), { origin: { layer, path }, kids: new Map(), whole: true }];
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, copy(v));
    return out;
  }
  return value;
}

/**
 * The paths of the merged document whose value is the one `layer` wrote at
 * one of `paths` (values a later layer replaced are not found).
 */
export function mergedPaths(
  doc: unknown,
  origins: OriginNode,
  wanted: readonly { layer: number; path: Path }[],
): Path[] {
  if (wanted.length === 0) return [];
  const keys = new Set(wanted.map((w) => `${w.layer}:${JSON.stringify(w.path)}`));
  const out: Path[] = [];
  const walk = (value: unknown, node: OriginNode, path: Path): void => {
    if (keys.has(`${node.origin.layer}:${JSON.stringify(node.origin.path)}`)) {
      out.push(path);
      return;
    }
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : isTable(value)
      ? Object.entries(value)
      : [];
    for (const [k, v] of entries) {
      const kid = kidOf(node, k);
      if (kid) walk(v, kid, [...path, k]);
    }
  };
  walk(doc, origins, []);
  return out;
}

/** Answers "where was this key written" for a merged document. */
export class Locator {
  readonly #layers: readonly Layer[];
  readonly #origins: OriginNode;
  readonly #fallback: { file: string; baseDir: string };

  constructor(
    layers: readonly Layer[],
    origins: OriginNode,
    fallback: { file: string; baseDir: string },
  ) {
    this.#layers = layers;
    this.#origins = origins;
    this.#fallback = fallback;
  }

  /** Where `path` was written: its own position, or its nearest written ancestor's; else `file:1:1`. */
  locate(path: Path): ConfigLocation {
    const origin = this.#deepest(path);
    const layer = this.#layers[origin.layer];
    if (!layer) return { file: this.#fallback.file, line: 1, col: 1, path: formatPath(path) };
    return { file: layer.file, ...layer.positions.nearest(origin.path), path: formatPath(path) };
  }

  /** The directory of the file that wrote `path` (or its nearest ancestor). */
  baseDirOf(path: Path): string {
    return this.#layers[this.#deepest(path).layer]?.baseDir ?? this.#fallback.baseDir;
  }

  #deepest(path: Path): Origin {
    let node = this.#origins;
    for (const seg of path) {
      const kid = kidOf(node, seg);
      if (!kid) break;
      node = kid;
    }
    return node.origin;
  }
}
