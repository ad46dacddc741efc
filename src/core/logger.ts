/**
 * Structured logging: one line per event, text or JSON, a level per
 * component, secrets redacted. The sink is injected, so this module does no I/O.
 * @module
 */
import { Redactor } from "./redact.ts";

/** Log levels, least severe first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** All log levels in order of severity. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra key/value context of one log line. */
export type LogFields = Record<string, unknown>;

/** A labelled logger. Components receive one; they never build their own. */
export interface Logger {
  readonly component: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger for a sub-component, e.g. `source.db`. */
  child(component: string): Logger;
  enabled(level: LogLevel): boolean;
  /**
   * Writes the "…repeated N times" line of every repeat whose window has
   * ended (or, with `all`, of every repeat: at shutdown). Shared by a root
   * logger and its children; whoever owns time calls it (the agent's monitor
   * each lag probe, the agent at stop), since the logger has no timer.
   */
  flush(all?: boolean): void;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** @default {"info"} */
  level?: LogLevel;
  /** @default {"text"} */
  format?: "text" | "json";
  /** Per-component levels; a key matches the component and its children (`source` covers `source.db`). */
  components?: Record<string, LogLevel>;
  /** Where finished lines go (the CLI passes stderr). */
  write: (line: string) => void;
  /** @default {Date.now} */
  now?: () => number;
  redactor?: Redactor;
  /**
   * A line identical to one written less than this many ms ago (same
   * component, level, message and fields) is counted instead of written. The
   * count is written once the window ends: with the next identical line
   * ("… …repeated N times"), else as a line of its own at the next log call
   * or `flush()`, or when the line is evicted from the 1,000 remembered.
   * 0 writes every line.
   * @default {60000}
   */
  repeatWindow?: number;
}

/**
 * Creates the root logger.
 *
 * @example A JSON logger to an array
 * ```ts
 * const lines: string[] = [];
 * const log = createLogger({ format: "json", write: (l) => lines.push(l) });
 * log.child("agent").info("started", { sources: 3 });
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  const state = {
    level: options.level ?? "info",
    format: options.format ?? "text",
    components: Object.entries(options.components ?? {}).sort((a, b) => b[0].length - a[0].length),
    write: options.write,
    now: options.now ?? Date.now,
    redactor: options.redactor ?? new Redactor(),
    repeatWindow: options.repeatWindow ?? 60_000,
    repeats: new Map<string, Repeat>(),
  };
  return makeLogger(state, "sextant");
}

interface State {
  level: LogLevel;
  format: "text" | "json";
  components: [string, LogLevel][];
  write: (line: string) => void;
  now: () => number;
  redactor: Redactor;
  repeatWindow: number;
  /** Recent lines by key; bounded by {@linkcode MAX_REPEAT_KEYS}, oldest first. */
  repeats: Map<string, Repeat>;
}

/** A line remembered for repeat suppression: enough to write its count later. */
interface Repeat {
  since: number;
  suppressed: number;
  level: LogLevel;
  component: string;
  text: string;
  fields: LogFields;
}

/** Distinct recent lines remembered for repeat suppression. */
const MAX_REPEAT_KEYS = 1000;

/** Whether to write a line with this key now; with the count suppressed before it. */
function admit(
  state: State,
  key: string,
  line: Omit<Repeat, "since" | "suppressed">,
): { write: boolean; repeated: number } {
  if (state.repeatWindow <= 0) return { write: true, repeated: 0 };
  const now = state.now();
  const seen = state.repeats.get(key);
  if (seen && now - seen.since < state.repeatWindow) {
    seen.suppressed++;
    sweep(state, now, false);
    return { write: false, repeated: 0 };
  }
  state.repeats.delete(key);
  sweep(state, now, false);
  if (state.repeats.size >= MAX_REPEAT_KEYS) {
    const [oldest, r] = state.repeats.entries().next().value!;
    state.repeats.delete(oldest);
    writeRepeats(state, r);
  }
  state.repeats.set(key, { since: now, suppressed: 0, ...line });
  return { write: true, repeated: seen?.suppressed ?? 0 };
}

/**
 * Forgets the lines whose window has ended (all of them with `all`), writing
 * the count of those that were repeated. The map is in window order, so this
 * stops at the first line still inside its window.
 */
function sweep(state: State, now: number, all: boolean): void {
  for (const [key, r] of state.repeats) {
    if (!all && now - r.since < state.repeatWindow) break;
    state.repeats.delete(key);
    writeRepeats(state, r);
  }
}

/** The line of a count that no later identical line will carry. */
function writeRepeats(state: State, r: Repeat): void {
  if (r.suppressed === 0) return;
  state.write(render(state, r.level, r.component, r.text, r.fields, r.suppressed));
}

function render(
  state: State,
  level: LogLevel,
  component: string,
  text: string,
  fields: LogFields,
  repeated: number,
): string {
  const clean = repeated > 0 ? { ...fields, repeated } : fields;
  const shown = repeated > 0 ? `${text} …repeated ${repeated} times` : text;
  return state.format === "json"
    ? jsonLine(state.now(), level, component, text, clean)
    : textLine(state.now(), level, component, shown, clean);
}

function levelFor(state: State, component: string): LogLevel {
  for (const [prefix, level] of state.components) {
    if (component === prefix || component.startsWith(prefix + ".")) return level;
  }
  return state.level;
}

function makeLogger(state: State, component: string): Logger {
  const threshold = RANK[levelFor(state, component)];
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    // Redact before serialising: escaping (JSON, quoting) would hide a secret from a later pass.
    const r = (v: string) => state.redactor.redact(v);
    const clean: LogFields = {};
    for (const [k, v] of Object.entries(fields ?? {})) {
      if (v === undefined) continue;
      const value = fieldValue(v);
      clean[k] = typeof value === "string" ? r(value) : value;
    }
    const text = r(msg);
    const { write, repeated } = admit(
      state,
      `${level}\u0000${component}\u0000${text}\u0000${JSON.stringify(clean)}`,
      { level, component, text, fields: clean },
    );
    if (!write) return;
    state.write(render(state, level, component, text, clean, repeated));
  };
  return {
    component,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (name) => makeLogger(state, component === "sextant" ? name : `${component}.${name}`),
    enabled: (level) => RANK[level] >= threshold,
    flush: (all = false) => {
      if (state.repeatWindow > 0) sweep(state, state.now(), all);
    },
  };
}

function fieldValue(v: unknown): unknown {
  if (v instanceof Error) return v.message;
  if (typeof v === "bigint") return v.toString();
  return v;
}

function jsonLine(
  ts: number,
  level: LogLevel,
  component: string,
  msg: string,
  fields?: LogFields,
): string {
  const obj: Record<string, unknown> = { ts: new Date(ts).toISOString(), level, component, msg };
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (!(k in obj)) obj[k] = fieldValue(v);
  }
  return JSON.stringify(obj);
}

function textLine(
  ts: number,
  level: LogLevel,
  component: string,
  msg: string,
  fields?: LogFields,
): string {
  let line = `${new Date(ts).toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}`;
  for (const [k, raw] of Object.entries(fields ?? {})) {
    const v = fieldValue(raw);
    const s = typeof v === "string" ? v : JSON.stringify(v);
    line += ` ${k}=${/^[^\s"=]+$/.test(s ?? "") ? s : JSON.stringify(s)}`;
  }
  return line;
}

/** A logger that drops everything (for tests and library use). */
export const silentLogger: Logger = createLogger({ level: "error", write: () => {} });
