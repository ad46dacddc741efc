/**
 * Config migrations: a chain of small steps, each from one format version to
 * the next, so that a later release adds its step and every older file still
 * upgrades. Versions are numbers (`config_version`), or the name of a format
 * that preceded them (`"monitor-0.3"`: the per-process monitor files of the
 * process-monitoring plugins). Steps work on text, so that a step that only
 * adds a key keeps the file's comments.
 * @module
 */
import { parse } from "smol-toml";
import { errorMessage } from "../core/mod.ts";
import { monitorToCurrent } from "./migrate_monitor.ts";
import { isTable } from "./path.ts";

/** A format version: a `config_version`, or the name of an older format. */
export type FormatVersion = number | "monitor-0.3" | "unversioned";

/** A file given to `config migrate`. */
export interface MigrationFile {
  /** The name used in messages. */
  name: string;
  text: string;
}

/** What a step reports: keys it could not carry over, and choices it made. */
export interface MigrationNote {
  /** `file:line:col: key: message`, or `file: message`. */
  message: string;
  severity: "warning" | "note";
}

/** One step of the chain. */
export interface MigrationStep {
  from: FormatVersion;
  to: FormatVersion;
  summary: string;
  /** Turns the files (all at `from`) into files at `to`; may merge them into one. */
  run(files: MigrationFile[], notes: MigrationNote[], current: number): MigrationFile[];
}

/** The chain, oldest first. A release that changes the format appends its step here. */
export const MIGRATIONS: readonly MigrationStep[] = [
  {
    from: "monitor-0.3",
    to: 4,
    summary: "process monitor files (0.3.x) → one config with a process source per file",
    run: (files, notes, current) => [monitorToCurrent(files, notes, current)],
  },
  {
    from: "unversioned",
    to: 4,
    summary: "adds config_version = 4 to a file that validates without one",
    run: (files) => files.map((f) => ({ ...f, text: withVersion(f.text, 4) })),
  },
];

/** Which format a parsed file is in. */
export function detectVersion(doc: Record<string, unknown>): FormatVersion | undefined {
  if (typeof doc.config_version === "number") return doc.config_version;
  if (isTable(doc.metadata) || isTable(doc.monitoring) || isTable(doc.otel_config)) {
    return "monitor-0.3";
  }
  if (doc.config_version === undefined) return "unversioned";
  return undefined;
}

/** The result of {@linkcode migrate}. */
export interface MigrationResult {
  ok: boolean;
  /** The migrated text (one file); absent when migration failed. */
  text?: string;
  /** The steps applied, in order. */
  applied: MigrationStep[];
  notes: MigrationNote[];
  /** Why migration failed. */
  errors: string[];
}

/**
 * Migrates files to the current version through the chain of steps.
 *
 * @example Upgrading a 0.3 monitor file
 * ```ts
 * const r = migrate([{ name: "m8.toml", text }], 4);
 * if (r.ok) console.log(r.text);
 * ```
 */
export function migrate(files: MigrationFile[], current: number): MigrationResult {
  const notes: MigrationNote[] = [];
  const errors: string[] = [];
  const versions: FormatVersion[] = [];
  for (const f of files) {
    let doc: Record<string, unknown>;
    try {
      doc = parse(f.text);
    } catch (err) {
      errors.push(`${f.name}: invalid TOML: ${errorMessage(err).split("\n")[0]}`);
      continue;
    }
    const v = detectVersion(doc);
    if (v === undefined) {
      errors.push(
        `${f.name}: config_version: expected a number, found ${typeof doc.config_version}`,
      );
    } else if (typeof v === "number" && v > current) {
      errors.push(
        `${f.name}: config_version ${v} is newer than this release's (${current}); upgrade sextant`,
      );
    } else if (typeof v === "number" && v < current && !MIGRATIONS.some((m) => m.from === v)) {
      errors.push(`${f.name}: no migration from config_version ${v}`);
    }
    versions.push(v!);
  }
  if (errors.length > 0) return { ok: false, applied: [], notes, errors };
  const distinct = [...new Set(versions)];
  if (distinct.length > 1) {
    return {
      ok: false,
      applied: [],
      notes,
      errors: [
        `files are in different formats (${distinct.join(", ")}); migrate them one at a time`,
      ],
    };
  }
  if (files.length > 1 && distinct[0] !== "monitor-0.3") {
    return {
      ok: false,
      applied: [],
      notes,
      errors: ["only monitor files (0.3) are merged into one; give current files with -c instead"],
    };
  }
  let version: FormatVersion = distinct[0];
  let work = files;
  const applied: MigrationStep[] = [];
  while (version !== current) {
    const step = MIGRATIONS.find((m) => m.from === version);
    if (!step) return { ok: false, applied, notes, errors: [`no migration from ${version}`] };
    work = step.run(work, notes, current);
    applied.push(step);
    version = step.to;
  }
  return { ok: true, text: work[0].text, applied, notes, errors };
}

/** Adds `config_version = N` before the first table, keeping everything else as written. */
export function withVersion(text: string, version: number): string {
  const lines = text.split("\n");
  // After the leading comment block, so a file's header comment stays on top.
  let at = 0;
  while (at < lines.length && /^\s*(#.*)?$/.test(lines[at]) && lines[at].trim() !== "") at++;
  const line = `config_version = ${version}`;
  const blank = at < lines.length && lines[at].trim() !== "";
  lines.splice(at, 0, ...(blank ? [line, ""] : [line]));
  return lines.join("\n");
}
