/**
 * What a running plugin is to its supervisor: a backend that starts,
 * collects and stops. A `fatal` outcome means the backend is dead (killed
 * on timeout, crashed, flooded its output) and must be restarted.
 * @module
 */
import {
  limitLineErrors,
  type OutputFormat,
  parseJsonSamples,
  parseOutput,
  type SampleInput,
} from "../core/mod.ts";

/** What one collection produced. */
export interface CollectOutcome {
  samples: SampleInput[];
  /** Per-item problems (a bad line, an exception in collect). */
  errors: string[];
  /** Set when the backend died; the supervisor restarts it. */
  fatal?: string;
  /**
   * Set when this collection failed as a whole but the backend lives on (a
   * once-mode exec plugin that could not run, crashed, exited non-zero, timed
   * out or flooded its output); its samples are diagnostics.
   */
  failed?: string;
}

/** A running plugin. */
export interface Backend {
  /** Starts under `signal`; rejects with a message when the plugin cannot start. */
  start(signal: AbortSignal): Promise<void>;
  collect(signal: AbortSignal): Promise<CollectOutcome>;
  /** Stops and waits until the process is reaped. Safe to call twice. */
  stop(): Promise<void>;
  readonly pid: number | undefined;
  /** Whether a process is running (a once-mode exec plugin is always "alive"). */
  readonly alive: boolean;
}

/** Turns what a plugin printed into samples and per-line errors. */
export function parsePluginOutput(
  text: string,
  format: "auto" | OutputFormat,
): { samples: SampleInput[]; errors: string[] } {
  const parsed = parseOutput(text, format);
  return { samples: parsed.samples, errors: lineErrors(parsed.errors, parsed.format) };
}

/**
 * Checks the samples a module plugin returned, given as the JSON text of
 * what `collect()` returned: parsed once, by the JSON sample parser, with
 * each bad sample reported as `sample N: ...` and the good ones kept.
 */
export function checkReturnedJson(json: string): { samples: SampleInput[]; errors: string[] } {
  if (!json.startsWith("[")) return notAnArray();
  // The text is one line (the protocol line it came in was capped already).
  const parsed = parseJsonSamples(json, { maxLineLength: json.length });
  const perSample = parsed.errors.map((e) => {
    const item = /^item (\d+): /.exec(e.message);
    return item ? { line: Number(item[1]) + 1, message: e.message.slice(item[0].length) } : e;
  });
  return {
    samples: parsed.samples,
    errors: lineErrors(perSample, "json").map((e) => e.replace(/^json output line/, "sample")),
  };
}

function notAnArray(): { samples: SampleInput[]; errors: string[] } {
  return { samples: [], errors: ["collect() must return an array of samples"] };
}

function lineErrors(errors: { line: number; message: string }[], format: string): string[] {
  const { shown, moreLines } = limitLineErrors(errors);
  const out = shown.map((e) => `${format} output line ${e.line}: ${e.message}`);
  if (moreLines > 0) out.push(`${format} output: ... and ${moreLines} more invalid lines`);
  return out;
}
