/**
 * Test harness shared by the source kinds' tests: a recording accumulator,
 * real dependencies with a capturing logger, and configs built through the
 * real schema.
 * @module
 */
import { z } from "zod";
import { commonSourceFields } from "../../src/config/mod.ts";
import {
  type Accumulator,
  type CommonSourceConfig,
  createLogger,
  Redactor,
  type SampleInput,
  type SourceDeps,
  type SourceKind,
  systemClock,
} from "../../src/core/mod.ts";
import { platform } from "../../src/runtime/mod.ts";

/** Records what a collection reported. */
export class RecordingAccumulator implements Accumulator {
  readonly samples: SampleInput[] = [];
  readonly errors: { err: unknown; item?: string }[] = [];
  /** Set by `fail`: the collection failed as a whole. */
  failed = false;
  add(sample: SampleInput): void {
    this.samples.push(sample);
  }
  addError(err: unknown, item?: string): void {
    this.errors.push({ err, item });
  }
  fail(err: unknown, item?: string): void {
    this.failed = true;
    this.errors.push({ err, item });
  }
  /** The value of the only sample with this name. */
  value(name: string): number | undefined {
    const found = this.samples.filter((s) => s.name === name);
    if (found.length > 1) throw new Error(`${found.length} samples named ${name}`);
    return found[0]?.value;
  }
}

/** Real dependencies; `logs` holds every line the source logged (debug included). */
export function testDeps(baseDir = platform.cwd()): SourceDeps & { logs: string[] } {
  const logs: string[] = [];
  const redactor = new Redactor();
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: (l) => logs.push(l),
    redactor,
  });
  return { logger, platform, clock: systemClock, redactor, baseDir, logs };
}

/** Validates a source table with the agent's merge of common and kind fields, then fills the agent's defaults. */
export function configFor<C extends object>(
  kind: SourceKind<C>,
  table: Record<string, unknown>,
): C & CommonSourceConfig {
  const schema = z.strictObject({
    type: z.literal(kind.type),
    ...commonSourceFields,
    ...kind.fields,
  });
  const parsed = schema.parse({ type: kind.type, name: "test", ...table }) as Record<
    string,
    unknown
  >;
  const interval = (parsed.interval as number | undefined) ?? 60_000;
  const timeout = Math.min((parsed.timeout as number | undefined) ?? 10_000, interval);
  return { ...parsed, interval, timeout } as C & CommonSourceConfig;
}

/** Issues of a table that fails the schema, as `path: message`. */
export function schemaIssues(kind: SourceKind<object>, table: Record<string, unknown>): string[] {
  const schema = z.strictObject({
    type: z.literal(kind.type),
    ...commonSourceFields,
    ...kind.fields,
  });
  const r = schema.safeParse({ type: kind.type, name: "test", ...table });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}
