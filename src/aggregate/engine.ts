/**
 * The aggregation engine: pure state. The agent feeds it samples with their
 * timestamps and reads it at a time of its choosing; nothing here reads a
 * clock or sets a timer. Each rule keeps, per series, a ring of panes
 * (one for tumbling windows) that are merged when a window is read.
 * @module
 */
import { type Attributes, formatDuration, type Sample, seriesKey } from "../core/mod.ts";
import { evaluate, ExpressionEvalError } from "./expression.ts";
import { Moments, MOMENTS_BYTES } from "./moments.ts";
import { globToRegExp, percentileStat, type ResolvedRule } from "./rules.ts";
import { createSketch, type QuantileSketch } from "./sketch.ts";

/** Why a sample did not count. */
export type DropReason = "series_cap" | "late" | "exact_cap";

/** What a rule holds, for self-metrics and `/status`. */
export interface RuleStats {
  rule: string;
  type: ResolvedRule["type"];
  /** Series held now. */
  series: number;
  /** Series dropped after `idle_ttl` without samples, since the rule was created. */
  evictions: number;
  /** Approximate bytes of the rule's state. */
  bytes: number;
  /** Samples that did not count, by reason, since the rule was created. */
  dropped: Record<DropReason, number>;
  /** Evaluation errors (derived rules) and non-finite results, since the rule was created. */
  errors: number;
  /** The rule's errors at the last read, joined; absent while it has none. */
  error?: string;
}

/** A per-rule problem found while reading. */
export interface AggregateError {
  rule: string;
  message: string;
}

/** What {@linkcode AggregationEngine.read} returns. */
export interface ReadResult {
  samples: Sample[];
  errors: AggregateError[];
}

/** Options of {@linkcode AggregationEngine.read}. */
export interface ReadOptions {
  /**
   * Include the pane still open at `now` (`sextant once`: a window over the
   * one cycle's samples). Otherwise a window is published once it closed.
   * Such a read is final: a derived input that has no value is an error at
   * once, without the grace a running agent gives it.
   * @default {false}
   */
  includeOpen?: boolean;
}

type PaneState = QuantileSketch | Moments;

interface Series {
  name: string;
  attributes: Attributes;
  unit?: string;
  counter: boolean;
  /** Newest sample time seen. */
  lastSeen: number;
  /** Newest pane index written. */
  newest: number;
  /** Pane index of each ring slot (-Infinity: empty). */
  idx: number[];
  panes: (PaneState | undefined)[];
  ewma?: { value: number; time: number };
}

/**
 * The newest raw value of each series of a metric a derived rule reads, at
 * most `cap` series (the largest `max_series` of the rules reading it).
 */
interface LatestValues {
  series: Map<string, { attributes: Attributes; value: number; time: number }>;
  cap: number;
  /** The derived rules reading the metric: they count the series dropped at the cap. */
  readers: RuleState[];
}

/** `<input>.<stat>`: the name of an aggregate, split into its input and statistic. */
const AGGREGATE_NAME = /^(.+)\.(p[0-9.]+|min|max|sum|count|avg|stddev|rate|delta|sma|ewma)$/;

/** Fixed cost of a series: its object, key, ring arrays (estimate). */
const SERIES_BYTES = 240;
/** Error messages kept per rule and read; the rest are counted in one message. */
const ERRORS_PER_RULE = 5;

class RuleState {
  rule: ResolvedRule;
  readonly fingerprint: string;
  readonly series = new Map<string, Series>();
  readonly matcher?: RegExp;
  evictions = 0;
  errors = 0;
  dropped: Record<DropReason, number> = { series_cap: 0, late: 0, exact_cap: 0 };
  /** Derived: inputs that had a value at some read (before that, a missing input is not an error). */
  readonly seen = new Set<string>();
  /** Derived: the time of the rule's first read (its grace for never-seen inputs starts there). */
  since?: number;
  /** The errors of the last read, for `/status`. */
  lastErrors: string[] = [];
  /** The series the last sample went to (runs of one series are common). */
  lastKey?: string;
  lastSeries?: Series;
  /** The last published closed window (and its errors), reused while nothing in it changed. */
  cache?: { last: number; samples: Sample[]; problems: string[] };

  constructor(rule: ResolvedRule) {
    this.rule = rule;
    this.fingerprint = fingerprint(rule);
    if (rule.type !== "derived" && rule.source) this.matcher = globToRegExp(rule.source);
  }
}

function fingerprint(rule: ResolvedRule): string {
  const { id: _id, ...rest } = rule;
  return JSON.stringify(rest, (k, v) => (k === "expr" ? undefined : v));
}

function pick(attrs: Attributes, keys: readonly string[]): Attributes {
  const out: Attributes = {};
  for (const k of keys) if (attrs[k] !== undefined) out[k] = attrs[k];
  return out;
}

function omit(attrs: Attributes, keys: readonly string[]): Attributes {
  if (keys.length === 0) return attrs;
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function isEmpty(attrs: Attributes): boolean {
  for (const _ in attrs) return false;
  return true;
}

function describeAttrs(attrs: Attributes): string {
  const e = Object.entries(attrs);
  return e.length === 0 ? "{}" : `{${e.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
}

/**
 * Evaluates aggregation rules over samples.
 *
 * @example p95 of a response time over 5-minute tumbling windows
 * ```ts
 * const engine = new AggregationEngine(resolveRules(tables, { window: 300_000 }));
 * engine.ingest(samples);                  // each with its timestamp
 * const { samples: out } = engine.read(now); // windows closed by `now`
 * ```
 */
export class AggregationEngine {
  #rules: RuleState[] = [];
  /** Metric name → the windowed rules whose input matches it. */
  #routes = new Map<string, RuleState[]>();
  /** Metric names derived rules read as raw inputs → latest value per series. */
  #latest = new Map<string, LatestValues>();

  constructor(rules: readonly ResolvedRule[] = []) {
    this.reconfigure(rules);
  }

  /** The rules in force. */
  get rules(): readonly ResolvedRule[] {
    return this.#rules.map((r) => r.rule);
  }

  /**
   * Replaces the rules. A rule whose resolved config did not change keeps
   * its windows, sketches and counters (even if it moved or was renamed in
   * its `rule` label); the others start empty, and state of removed rules is dropped.
   * Returns the `rule` ids kept, added and dropped.
   */
  reconfigure(
    rules: readonly ResolvedRule[],
  ): { kept: string[]; added: string[]; dropped: string[] } {
    const old = [...this.#rules];
    const kept: string[] = [];
    const added: string[] = [];
    this.#rules = rules.map((rule) => {
      const fp = fingerprint(rule);
      const i = old.findIndex((s) => s.fingerprint === fp);
      if (i < 0) {
        added.push(rule.id);
        return new RuleState(rule);
      }
      const [state] = old.splice(i, 1);
      state.rule = rule;
      kept.push(rule.id);
      return state;
    });
    this.#routes.clear();
    const wanted = new Set(
      this.#rules.flatMap((r) => (r.rule.type === "derived" ? r.rule.inputs : [])),
    );
    for (const name of this.#latest.keys()) if (!wanted.has(name)) this.#latest.delete(name);
    for (const name of wanted) {
      const readers = this.#rules.filter((r) =>
        r.rule.type === "derived" && r.rule.inputs.includes(name)
      );
      const cap = Math.max(...readers.map((r) => r.rule.maxSeries));
      const latest = this.#latest.get(name);
      if (latest) Object.assign(latest, { cap, readers });
      else this.#latest.set(name, { series: new Map(), cap, readers });
    }
    return { kept, added, dropped: old.map((s) => s.rule.id) };
  }

  #route(name: string): RuleState[] {
    let r = this.#routes.get(name);
    if (!r) {
      r = this.#rules.filter((s) => s.matcher?.test(name));
      // Names come from sources; bound the cache rather than trust their number.
      if (this.#routes.size >= 100_000) this.#routes.clear();
      this.#routes.set(name, r);
    }
    return r;
  }

  /** Feeds samples (each counted at its own `timestamp`). Never throws. */
  ingest(samples: readonly Sample[]): void {
    const derived = this.#latest.size > 0;
    let name: string | undefined;
    let route: RuleState[] = [];
    for (const s of samples) {
      if (!Number.isFinite(s.value) || !Number.isFinite(s.timestamp)) continue;
      // A batch usually holds runs of one metric: look its rules up once per run.
      if (s.name !== name) route = this.#route(name = s.name);
      for (let i = 0; i < route.length; i++) this.#add(route[i], s);
      if (!derived) continue;
      const latest = this.#latest.get(s.name);
      if (latest) {
        const key = seriesKey(s.name, s.attributes);
        const prev = latest.series.get(key);
        if (!prev && latest.series.size >= latest.cap) {
          // More series than any rule reading the input may output: bounded, dropped, counted.
          for (const r of latest.readers) r.dropped.series_cap++;
        } else if (!prev || prev.time <= s.timestamp) {
          latest.series.set(key, { attributes: s.attributes, value: s.value, time: s.timestamp });
        }
      }
    }
  }

  #add(state: RuleState, s: Sample): void {
    const rule = state.rule;
    const attributes = rule.groupBy
      ? pick(s.attributes, rule.groupBy)
      : omit(s.attributes, rule.dropAttributes);
    const name = rule.name ?? s.name;
    const key = isEmpty(attributes) ? name : seriesKey(name, attributes);
    let series = key === state.lastKey ? state.lastSeries : state.series.get(key);
    if (!series) {
      if (state.series.size >= rule.maxSeries) {
        state.dropped.series_cap++;
        return;
      }
      const slots = rule.panes + 1;
      series = {
        name,
        attributes,
        ...(s.unit ? { unit: s.unit } : {}),
        counter: false,
        lastSeen: s.timestamp,
        newest: -Infinity,
        idx: new Array(slots).fill(-Infinity),
        panes: new Array(slots).fill(undefined),
      };
      state.series.set(key, series);
    }
    state.lastKey = key;
    state.lastSeries = series;
    series.lastSeen = Math.max(series.lastSeen, s.timestamp);
    if (s.type === "counter") series.counter = true;
    if (rule.type === "ewma") {
      const e = series.ewma;
      if (!e) series.ewma = { value: s.value, time: s.timestamp };
      else if (s.timestamp >= e.time) {
        const alpha = rule.alpha ??
          1 - Math.pow(0.5, (s.timestamp - e.time) / (rule.halfLife ?? 1));
        // The convex form: `value += alpha * (x - value)` overflows for far-apart huge values.
        e.value = (1 - alpha) * e.value + alpha * s.value;
        e.time = s.timestamp;
      } else state.dropped.late++;
      return;
    }
    const idx = Math.floor(s.timestamp / rule.paneWidth);
    const slots = series.idx.length;
    if (idx <= series.newest - slots) {
      state.dropped.late++;
      return;
    }
    const slot = ((idx % slots) + slots) % slots;
    if (series.idx[slot] !== idx) {
      if (series.idx[slot] > idx) {
        state.dropped.late++;
        return;
      }
      series.idx[slot] = idx;
      series.panes[slot] = rule.type === "percentile" ? createSketch(rule.sketch) : new Moments();
    }
    if (idx > series.newest) series.newest = idx;
    const pane = series.panes[slot]!;
    if (pane instanceof Moments) pane.add(s.value, s.timestamp, series.counter);
    else if (!pane.add(s.value)) state.dropped.exact_cap++;
    if (state.cache && idx <= state.cache.last) state.cache = undefined;
  }

  /**
   * The aggregates at `now`: each windowed rule's latest closed window (with
   * `includeOpen`, the window ending in the open pane), each EWMA's current
   * value, then derived rules in order. Drops series idle past their TTL.
   */
  read(now: number, options: ReadOptions = {}): ReadResult {
    const samples: Sample[] = [];
    const errors: AggregateError[] = [];
    const values = new Map<string, { attributes: Attributes; value: number }[]>();
    const publish = (out: Sample[]) => {
      for (const s of out) {
        samples.push(s);
        let list = values.get(s.name);
        if (!list) values.set(s.name, list = []);
        list.push(s);
      }
    };
    for (const state of this.#rules) {
      this.#evict(state, now);
      if (state.rule.type === "derived") {
        publish(this.#derive(state, now, values, errors, options.includeOpen === true));
      } else publish(this.#window(state, now, options.includeOpen === true, errors));
    }
    return { samples, errors };
  }

  #evict(state: RuleState, now: number): void {
    const limit = now - state.rule.idleTtl;
    for (const [key, s] of state.series) {
      if (s.lastSeen < limit) {
        state.series.delete(key);
        if (state.lastSeries === s) state.lastKey = state.lastSeries = undefined;
        state.evictions++;
        state.cache = undefined;
      }
    }
    if (state.rule.type === "derived") {
      for (const name of state.rule.inputs) {
        const latest = this.#latest.get(name)?.series;
        for (const [key, v] of latest ?? []) if (v.time < limit) latest!.delete(key);
      }
    }
  }

  #window(
    state: RuleState,
    now: number,
    includeOpen: boolean,
    errors: AggregateError[],
  ): Sample[] {
    const rule = state.rule;
    if (rule.type === "derived") return [];
    const windowLabel = formatDuration(rule.window);
    if (rule.type === "ewma") {
      const out: Sample[] = [];
      for (const s of state.series.values()) {
        if (s.ewma) out.push(sample(`${s.name}.ewma`, s.ewma.value, s, windowLabel, now, s.unit));
      }
      return finite(state, out, errors).samples;
    }
    const nowIdx = Math.floor(now / rule.paneWidth);
    const last = includeOpen ? nowIdx : nowIdx - 1;
    if (!includeOpen && state.cache?.last === last) {
      // The same window again: its errors are reported again, but counted once.
      report(state, state.cache.problems, errors);
      return state.cache.samples;
    }
    const first = last - rule.panes + 1;
    const time = includeOpen ? now : (last + 1) * rule.paneWidth;
    const out: Sample[] = [];
    for (const s of state.series.values()) {
      const order: number[] = [];
      for (let i = 0; i < s.idx.length; i++) {
        if (s.idx[i] >= first && s.idx[i] <= last) order.push(i);
      }
      if (order.length === 0) continue;
      order.sort((a, b) => s.idx[a] - s.idx[b]);
      if (rule.type === "percentile") {
        const merged = createSketch(rule.sketch);
        for (const i of order) merged.merge(s.panes[i] as QuantileSketch);
        for (const p of rule.percentiles) {
          const v = merged.quantile(p / 100);
          if (v !== undefined) {
            out.push(sample(`${s.name}.${percentileStat(p)}`, v, s, windowLabel, time, s.unit));
          }
        }
        continue;
      }
      const m = new Moments();
      for (const i of order) m.merge(s.panes[i] as Moments);
      if (rule.type === "sma") {
        out.push(sample(`${s.name}.sma`, m.sum / m.count, s, windowLabel, time, s.unit));
        continue;
      }
      for (const stat of rule.stats) {
        const v = m.value(stat);
        if (v === undefined) continue;
        const unit = stat === "count" ? "1" : stat === "rate" ? undefined : s.unit;
        out.push(sample(`${s.name}.${stat}`, v, s, windowLabel, time, unit));
      }
    }
    const checked = finite(state, out, errors);
    if (!includeOpen) state.cache = { last, ...checked };
    return checked.samples;
  }

  #derive(
    state: RuleState,
    now: number,
    values: Map<string, { attributes: Attributes; value: number }[]>,
    errors: AggregateError[],
    final: boolean,
  ): Sample[] {
    const rule = state.rule;
    if (rule.type !== "derived") return [];
    state.since ??= now;
    const problems: string[] = [];
    const joinKey = (a: Attributes) => rule.joinOn ? pick(a, rule.joinOn) : omit(a, ["window"]);
    const broadcast = new Map<string, number>();
    const joined = new Map<string, Map<string, number>>();
    const keys = new Map<string, Attributes>();
    for (const name of rule.inputs) {
      const list = values.get(name) ?? [...(this.#latest.get(name)?.series.values() ?? [])];
      if (list.length === 0) {
        if (!state.seen.has(name)) {
          // Not yet (an aggregate before its first window closed, a source before its first
          // run) while within the grace; after it, an input that never came is an error.
          const grace = this.#grace(state);
          if (!final && now - state.since < grace) return this.#pending(state);
          problems.push(
            `missing input ${JSON.stringify(name)}: no value ${
              final ? "in this cycle" : `since the rule started (waited ${formatDuration(grace)})`
            }`,
          );
          continue;
        }
        problems.push(
          `missing input ${JSON.stringify(name)}: no series in the last ${
            formatDuration(rule.idleTtl)
          }`,
        );
        continue;
      }
      state.seen.add(name);
      const byKey = new Map<string, number>();
      for (const v of list) {
        const attrs = joinKey(v.attributes);
        const k = seriesKey("", attrs);
        if (byKey.has(k)) {
          problems.push(
            `input ${JSON.stringify(name)} has several series for ${
              describeAttrs(attrs)
            }; set join_on`,
          );
        }
        byKey.set(k, v.value);
        if (list.length > 1 || Object.keys(attrs).length > 0) keys.set(k, attrs);
      }
      if (list.length === 1 && byKey.has(seriesKey("", {}))) broadcast.set(name, list[0].value);
      else joined.set(name, byKey);
    }
    const out: Sample[] = [];
    if (problems.length === 0) {
      if (joined.size === 0) keys.set(seriesKey("", {}), {});
      for (const [k, attrs] of keys) {
        if (out.length >= rule.maxSeries) {
          state.dropped.series_cap++;
          continue;
        }
        try {
          const v = evaluate(rule.expr, (n) => broadcast.get(n) ?? joined.get(n)?.get(k));
          out.push({ name: rule.name, value: v, type: "gauge", attributes: attrs, timestamp: now });
        } catch (e) {
          if (!(e instanceof ExpressionEvalError)) throw e;
          problems.push(`${e.message} for ${describeAttrs(attrs)}`);
        }
      }
    }
    state.errors += problems.length;
    report(state, problems, errors);
    state.series.clear();
    for (const s of out) {
      state.series.set(seriesKey(s.name, s.attributes), {
        name: s.name,
        attributes: s.attributes,
        counter: false,
        lastSeen: now,
        newest: 0,
        idx: [],
        panes: [],
      });
    }
    return out;
  }

  /** A derived rule waiting for the first value of an input: no output, no error. */
  #pending(state: RuleState): Sample[] {
    state.series.clear();
    state.lastErrors = [];
    return [];
  }

  /**
   * How long a derived rule waits for the first value of an input:
   * `idle_ttl`, or twice the window of a rule whose aggregate it reads if
   * that is longer (its first window must close first).
   */
  #grace(state: RuleState): number {
    const rule = state.rule;
    if (rule.type !== "derived") return 0;
    let grace = rule.idleTtl;
    for (const input of rule.inputs) {
      const m = AGGREGATE_NAME.exec(input);
      if (!m) continue;
      for (const other of this.#rules) {
        const r = other.rule;
        if (r.type === "derived" || 2 * r.window <= grace) continue;
        if (r.name !== undefined ? r.name === m[1] : other.matcher?.test(m[1])) {
          grace = 2 * r.window;
        }
      }
    }
    return grace;
  }

  /**
   * The next time a window closes, for the agent's timer; `undefined` when
   * no rule has windows.
   */
  nextClose(now: number): number | undefined {
    let next: number | undefined;
    for (const { rule } of this.#rules) {
      if (rule.type === "derived" || rule.type === "ewma") continue;
      const t = (Math.floor(now / rule.paneWidth) + 1) * rule.paneWidth;
      if (next === undefined || t < next) next = t;
    }
    return next;
  }

  /** Per-rule series, evictions, drops, errors and approximate bytes. */
  stats(): RuleStats[] {
    return this.#rules.map((state) => {
      let bytes = 0;
      for (const s of state.series.values()) {
        bytes += SERIES_BYTES + 16 * s.idx.length;
        for (const k in s.attributes) bytes += 2 * (k.length + s.attributes[k].length) + 32;
        for (const p of s.panes) {
          if (p) bytes += p instanceof Moments ? MOMENTS_BYTES : p.bytes();
        }
      }
      for (const name of state.rule.type === "derived" ? state.rule.inputs : []) {
        bytes += SERIES_BYTES * (this.#latest.get(name)?.series.size ?? 0);
      }
      return {
        rule: state.rule.id,
        type: state.rule.type,
        series: state.series.size,
        evictions: state.evictions,
        bytes,
        dropped: { ...state.dropped },
        errors: state.errors,
        ...(state.lastErrors.length > 0 ? { error: state.lastErrors.join("; ") } : {}),
      };
    });
  }
}

/**
 * Leaves out aggregates that are not finite numbers (a sum of huge values
 * overflows): each is an error of its rule, counted.
 */
function finite(
  state: RuleState,
  out: Sample[],
  errors: AggregateError[],
): { samples: Sample[]; problems: string[] } {
  const problems: string[] = [];
  for (const s of out) {
    if (Number.isFinite(s.value)) continue;
    problems.push(
      `${s.name} ${describeAttrs(s.attributes)} is ${s.value}, not a finite number: not exported`,
    );
  }
  const samples = problems.length > 0 ? out.filter((s) => Number.isFinite(s.value)) : out;
  state.errors += problems.length;
  report(state, problems, errors);
  return { samples, problems };
}

/** Records a rule's problems of one read: the first few as errors, the rest counted in one. */
function report(state: RuleState, problems: string[], errors: AggregateError[]): void {
  const id = state.rule.id;
  const kept = problems.slice(0, ERRORS_PER_RULE);
  if (problems.length > ERRORS_PER_RULE) {
    kept.push(`and ${problems.length - ERRORS_PER_RULE} more error(s)`);
  }
  for (const message of kept) errors.push({ rule: id, message });
  state.lastErrors = kept;
}

function sample(
  name: string,
  value: number,
  s: Series,
  window: string,
  timestamp: number,
  unit: string | undefined,
): Sample {
  return {
    name,
    value,
    type: "gauge",
    attributes: { ...s.attributes, window },
    timestamp,
    ...(unit ? { unit } : {}),
  };
}
