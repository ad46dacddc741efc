/**
 * Parses a connection string just enough to pick the driver and to print
 * where it points without its credentials.
 * @module
 */
import type { ConnectionTarget, DatabaseKind } from "./driver.ts";

const SCHEME_KIND: Record<string, DatabaseKind> = {
  postgres: "postgres",
  postgresql: "postgres",
  mysql: "mysql",
  mariadb: "mysql",
  sqlite: "sqlite",
  sqlserver: "mssql",
  mssql: "mssql",
};

/** The database a connection string is for, or undefined for an unknown scheme. */
export function kindOf(cs: string): DatabaseKind | undefined {
  if (/^\s*server\s*=/i.test(cs)) return "mssql";
  const scheme = /^([a-z]+):/i.exec(cs)?.[1]?.toLowerCase();
  return scheme ? SCHEME_KIND[scheme] : undefined;
}

/** The path of a `sqlite:` string: `sqlite:data.db`, `sqlite:///abs/path.db`, `sqlite://rel.db`. */
export function sqlitePath(cs: string): string {
  let rest = cs.replace(/^sqlite:/i, "");
  const q = rest.indexOf("?");
  if (q >= 0) rest = rest.slice(0, q);
  if (rest.startsWith("///")) return rest.slice(2);
  if (rest.startsWith("//")) return rest.slice(2);
  return rest;
}

/** Key/value pairs of an ADO-style string (`Server=x;User Id=y;Password=z`), keys lower-cased. */
export function adoPairs(cs: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of cs.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase().replace(/\s+/g, " ");
    let value = part.slice(eq + 1).trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    if (key) out.set(key, value);
  }
  return out;
}

/** Where a connection string points, without user, password or options. */
export function endpointOf(cs: string, kind: DatabaseKind): string {
  if (kind === "sqlite") return `sqlite:${sqlitePath(cs)}`;
  if (/^\s*server\s*=/i.test(cs)) {
    const p = adoPairs(cs);
    const db = p.get("database") ?? p.get("initial catalog") ?? "";
    return `mssql://${p.get("server") ?? ""}${db ? `/${db}` : ""}`;
  }
  try {
    const u = new URL(cs);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return `${cs.split(":")[0]}://(unparsable)`;
  }
}

/** The target of a connection string; a relative SQLite path resolves against `baseDir`. */
export function parseTarget(cs: string, readOnly: boolean, baseDir?: string): ConnectionTarget {
  const kind = kindOf(cs);
  if (!kind) throw new TypeError("unknown connection string scheme");
  if (kind !== "sqlite") return { kind, raw: cs, endpoint: endpointOf(cs, kind), readOnly };
  let path = sqlitePath(cs);
  if (baseDir && path !== ":memory:" && !path.startsWith("/")) {
    path = `${baseDir.replace(/\/$/, "")}/${path}`;
  }
  return { kind, raw: cs, endpoint: `sqlite:${path}`, readOnly, path };
}
