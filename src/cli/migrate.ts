/**
 * `sextant config migrate FILE... [--write] [--output FILE]`: upgrades older
 * configs through the chain of migration steps, validates the result, and
 * prints a unified diff or rewrites the file keeping a `.bak`.
 * @module
 */
import { CONFIG_VERSION, loadDocument } from "../agent/mod.ts";
import { migrate, unifiedDiff } from "../config/mod.ts";
import { errorMessage } from "../core/mod.ts";
import { sourceKinds } from "./context.ts";
import { type CliIO, EXIT } from "./io.ts";

/** Options of {@linkcode migrateCommand}. */
export interface MigrateFlags {
  files: string[];
  write: boolean;
  /** Where the result goes; default: the first file. */
  output?: string;
}

/** Migrates; exit 0 when the result validates (and was written, with `--write`). */
export async function migrateCommand(flags: MigrateFlags, io: CliIO): Promise<number> {
  const inputs = [];
  for (const name of flags.files) {
    try {
      inputs.push({ name, text: await io.platform.readTextFile(name) });
    } catch (err) {
      const code = (err as { code?: string }).code;
      io.stderr(`${name}: cannot read: ${code === "ENOENT" ? "no such file" : errorMessage(err)}`);
      return EXIT.FAILURE;
    }
  }
  const result = migrate(inputs, CONFIG_VERSION);
  for (const n of result.notes) io.stderr(`${n.severity}: ${n.message}`);
  if (!result.ok || result.text === undefined) {
    for (const e of result.errors) io.stderr(e);
    return EXIT.FAILURE;
  }
  const target = flags.output ?? flags.files[0];
  if (result.applied.length === 0 && target === flags.files[0]) {
    io.stdout(`${target}: already at config_version ${CONFIG_VERSION}; nothing to migrate`);
    return EXIT.OK;
  }
  for (const step of result.applied) {
    io.stderr(`migrated: ${step.from} -> ${step.to}: ${step.summary}`);
  }

  // The result must validate as it stands; otherwise it is not written.
  const check = await loadDocument([], sourceKinds, io.platform, {
    name: target,
    text: result.text,
  });
  if (!check.ok) {
    for (const e of check.errors) io.stderr(e.message);
    io.stderr(`the migrated configuration does not validate; nothing written`);
    return EXIT.FAILURE;
  }

  const existing = await io.platform.stat(target);
  const before = existing?.isFile ? await io.platform.readTextFile(target) : "";
  if (!flags.write) {
    const diff = unifiedDiff(
      before,
      result.text,
      existing ? target : "/dev/null",
      `${target} (migrated)`,
    );
    for (const line of diff.trimEnd().split("\n")) io.stdout(line);
    return EXIT.OK;
  }
  if (existing?.isFile) await io.platform.writeTextFile(`${target}.bak`, before);
  await io.platform.writeTextFile(target, result.text);
  io.stderr(
    `wrote ${target}${existing?.isFile ? ` (the previous version is in ${target}.bak)` : ""}`,
  );
  return EXIT.OK;
}
