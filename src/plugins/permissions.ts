/**
 * Plugin permissions: what a manifest asks for, what the operator allows,
 * and their intersection, which is all a plugin ever gets. Anything not
 * listed is denied.
 * @module
 */
import { resolve } from "node:path";

/** The permission kinds, as in Deno's permission model. */
export const PERMISSION_KEYS = ["net", "read", "env", "write", "run", "sys"] as const;
/** One permission kind. */
export type PermissionKey = typeof PERMISSION_KEYS[number];
/** `true` (everything), `false` (nothing) or an allow-list. */
export type Grant = boolean | string[];
/** A full set of grants. */
export type Permissions = Record<PermissionKey, Grant>;

/** Nothing at all. */
export const NO_PERMISSIONS: Permissions = {
  net: false,
  read: false,
  env: false,
  write: false,
  run: false,
  sys: false,
};

/**
 * Makes `read`/`write` paths absolute against `baseDir` and normalised:
 * `.`, `..` and repeated or trailing slashes are resolved, so that
 * `/opt/p/../..` is compared (and granted) as `/`, never as a path under
 * `/opt/p`.
 */
export function absolutePaths(p: Partial<Permissions>, baseDir: string): Partial<Permissions> {
  const out: Partial<Permissions> = { ...p };
  for (const key of ["read", "write"] as const) {
    const g = p[key];
    if (Array.isArray(g)) out[key] = [...new Set(g.map((x) => resolve(baseDir, x)))];
  }
  return out;
}

/** Whether normalised path `a` is `b` or one of its ancestors, segment by segment. */
export function pathCovers(a: string, b: string): boolean {
  const na = resolve("/", a), nb = resolve("/", b);
  if (na === nb || na === "/") return true;
  return nb.startsWith(`${na}/`);
}

/** Whether allow-list entry `a` covers `b` (a path prefix, a host without port, or equal). */
function covers(key: PermissionKey, a: string, b: string): boolean {
  if (key === "read" || key === "write") return pathCovers(a, b);
  if (a === b) return true;
  if (key === "net") {
    const host = b.replace(/:\d+$/, "");
    return !/:\d+$/.test(a) && host === a;
  }
  return false;
}

function intersectGrant(key: PermissionKey, a: Grant, b: Grant): Grant {
  if (a === false || b === false) return false;
  if (a === true) return b === true ? true : [...b];
  if (b === true) return [...a];
  const out = new Set<string>();
  // Paths are compared in normal form, whatever the caller passed.
  const norm = (l: string[]) =>
    key === "read" || key === "write" ? l.map((x) => resolve("/", x)) : l;
  const na = norm(a), nb = norm(b);
  for (const x of na) if (nb.some((y) => covers(key, y, x))) out.add(x);
  for (const y of nb) if (na.some((x) => covers(key, x, y))) out.add(y);
  return out.size ? [...out].sort() : false;
}

/**
 * What a plugin gets: its manifest's request narrowed by the operator's
 * allowance (a key the operator leaves out keeps the manifest's grant).
 * Paths must already be absolute.
 *
 * @example
 * ```ts
 * intersect({ ...NO_PERMISSIONS, net: ["api.example.com"] }, { net: ["api.example.com:443"] });
 * // net: ["api.example.com:443"]
 * ```
 */
export function intersect(manifest: Permissions, operator: Partial<Permissions> = {}): Permissions {
  const out = { ...NO_PERMISSIONS };
  for (const key of PERMISSION_KEYS) {
    out[key] = intersectGrant(key, manifest[key], operator[key] ?? manifest[key]);
  }
  return out;
}

/** Adds entries to a grant (used to give a plugin read access to its own directory). */
export function widen(g: Grant, extra: string[]): Grant {
  if (g === true) return true;
  return [...new Set([...(g || []), ...extra])].sort();
}

/** Deno command-line flags granting `p` (`--allow-net=a,b`). */
export function denoFlags(p: Permissions): string[] {
  const flags: string[] = [];
  for (const key of PERMISSION_KEYS) {
    const g = p[key];
    if (g === true) flags.push(`--allow-${key}`);
    else if (Array.isArray(g) && g.length) flags.push(`--allow-${key}=${g.join(",")}`);
  }
  return flags;
}

/** A short human form for `/status` and `plugins list`: `net=api.example.com read=<dir>`. */
export function describePermissions(p: Permissions): string {
  const parts = PERMISSION_KEYS.filter((k) => p[k] !== false).map((k) =>
    p[k] === true ? `${k}=all` : `${k}=${(p[k] as string[]).join(",")}`
  );
  return parts.length ? parts.join(" ") : "none";
}
