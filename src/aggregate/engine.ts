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
import { createSketch, type QuantileSketch, type SketchSpec } from "./sketch.ts";

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
  /** Attributes in `attributes`. */
  size: number;
  /** The newest pane (index `newest`) and its time span `[from, to)`: most samples land in it. */
  cur?: PaneState;
  from: number;
  to: number;
  /** Sliding DDSketch windows: the window read last, updated pane by pane at each close. */
  win?: RunningWindow;
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

/**
 * A window merged at the last read: the sketch of the panes `included`, up
 * to pane `last`. The next close subtracts the panes that slid out and adds
 * the new ones instead of merging every pane again.
 */
interface RunningWindow {
  sketch: QuantileSketch;
  last: number;
  included: number[];
}

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
  /**
   * The series the last sample went to, and that sample's name: a sample
   * with the same name whose attributes project to the series' goes there
   * without building its key (runs of one series are common).
   */
  lastName?: string;
  lastSeries?: Series;
  /** `group_by`, sorted (the series key lists attributes sorted). */
  readonly groupBy?: string[];
  /** Panes hold sketches (percentile rules), else moments. */
  readonly sketches: boolean;
  /** Sliding DDSketch windows keep a {@linkcode RunningWindow} per series. */
  readonly running: boolean;
  /** The last published closed window (and its errors), reused while nothing in it changed. */
  cache?: { last: number; samples: Sample[]; problems: string[] };

  constructor(rule: ResolvedRule) {
    this.rule = rule;
    this.fingerprint = fingerprint(rule);
    if (rule.type !== "derived" && rule.source) this.matcher = globToRegExp(rule.source);
    if (rule.groupBy) this.groupBy = [...rule.groupBy].sort();
    this.sketches = rule.type === "percentile";
    this.running = rule.type === "percentile" && rule.panes > 1 &&
      rule.sketch.algorithm === "ddsketch";
  }

  /** Whether a sample's attributes project to a series' `attributes` (no allocation). */
  sameSeries(attrs: Attributes, series: Attributes, size: number): boolean {
    if (this.groupBy) {
      for (const k of this.groupBy) if (attrs[k] !== series[k]) return false;
      return true;
    }
    const drop = this.rule.dropAttributes;
    let n = 0;
    for (const k in attrs) {
      if (drop.length > 0 && drop.includes(k)) continue;
      if (attrs[k] !== series[k]) return false;
      n++;
    }
    return n === size;
  }

  /** The series key of a sample (`seriesKey` of its projected attributes, built without them). */
  keyOf(name: string, attrs: Attributes): string {
    let key = name;
    if (this.groupBy) {
      for (const k of this.groupBy) {
        const v = attrs[k];
        if (v !== undefined) key += `\u0000${k}\u0001${v}`;
      }
      return key;
    }
    const keys = Object.keys(attrs);
    if (keys.length > 1) keys.sort();
    const drop = this.rule.dropAttributes;
    for (const k of keys) {
      if (drop.length === 0 || !drop.includes(k)) key += `\u0000${k}\u0001${attrs[k]}`;
    }
    return key;
  }
}

function fingerprint(rule: ResolvedRule): string {
  const { id: _id, ...rest } = rule;
  return JSON.stringify(rest, (k, v) => (k === "expr" ? undefined : v));
}

function newSeries(rule: ResolvedRule, name: string, s: Sample): Series {
  const slots = rule.panes + 1;
  const attributes = rule.groupBy
    ? pick(s.attributes, rule.groupBy)
    : omit(s.attributes, rule.dropAttributes);
  return {
    name,
    attributes,
    size: Object.keys(attributes).length,
    ...(s.unit ? { unit: s.unit } : {}),
    counter: false,
    lastSeen: s.timestamp,
    newest: -Infinity,
    idx: new Array(slots).fill(-Infinity),
    panes: new Array(slots).fill(undefined),
    from: 0,
    to: 0,
  };
}

function pick(attrs: Attributes, keys: readonly string[]): Attributes {
  const out: Attributes = {};
  for (const k of keys) if (attrs[k] !== undefined) out[k] = attrs[k];
  return out;
}

function omit(attrs: Attributes, keys: readonly string[]): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) if (!keys.includes(k)) out[k] = v;
  return out;
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
    const t = s.timestamp;
    let series = state.lastSeries;
    if (
      series === undefined || s.name !== state.lastName ||
      !state.sameSeries(s.attributes, series.attributes, series.size)
    ) {
      const name = rule.name ?? s.name;
      const key = state.keyOf(name, s.attributes);
      series = state.series.get(key);
      if (!series) {
        if (state.series.size >= rule.maxSeries) {
          state.dropped.series_cap++;
          return;
        }
        series = newSeries(rule, name, s);
        state.series.set(key, series);
      }
      state.lastName = s.name;
      state.lastSeries = series;
    }
    if (t > series.lastSeen) series.lastSeen = t;
    if (s.type === "counter") series.counter = true;
    if (rule.type === "ewma") {
      const e = series.ewma;
      if (!e) series.ewma = { value: s.value, time: t };
      else if (t >= e.time) {
        const alpha = rule.alpha ?? 1 - Math.pow(0.5, (t - e.time) / (rule.halfLife ?? 1));
        // The convex form: `value += alpha * (x - value)` overflows for far-apart huge values.
        e.value = (1 - alpha) * e.value + alpha * s.value;
        e.time = t;
      } else state.dropped.late++;
      return;
    }
    let pane: PaneState | undefined;
    let idx: number;
    if (t >= series.from && t < series.to) {
      pane = series.cur!;
      idx = series.newest;
    } else {
      idx = Math.floor(t / rule.paneWidth);
      pane = this.#pane(state, series, idx);
      if (!pane) return;
    }
    if (state.sketches) {
      if (!(pane as QuantileSketch).add(s.value)) state.dropped.exact_cap++;
    } else (pane as Moments).add(s.value, t, series.counter);
    if (state.cache !== undefined && idx <= state.cache.last) state.cache = undefined;
    if (series.win !== undefined && idx <= series.win.last) series.win = undefined;
  }

  /** The pane of index `idx` in a series' ring (made if new); `undefined` when too late. */
  #pane(state: RuleState, series: Series, idx: number): PaneState | undefined {
    const rule = state.rule;
    const slots = series.idx.length;
    if (idx <= series.newest - slots) {
      state.dropped.late++;
      return undefined;
    }
    const slot = ((idx % slots) + slots) % slots;
    if (series.idx[slot] !== idx) {
      if (series.idx[slot] > idx) {
        state.dropped.late++;
        return undefined;
      }
      // A pane the running window still holds is overwritten (a close was not read): rebuild it.
      if (series.win?.included.includes(series.idx[slot])) series.win = undefined;
      series.idx[slot] = idx;
      if (rule.type === "percentile") {
        const pane = createSketch(rule.sketch);
        // Panes of a series tend to hold alike counts: size the new one like the newest.
        if (series.cur) pane.reserve?.((series.cur as QuantileSketch).count);
        series.panes[slot] = pane;
      } else series.panes[slot] = new Moments();
    }
    const pane = series.panes[slot]!;
    if (idx >= series.newest) {
      // The previous newest pane is complete: free its spare room.
      if (idx > series.newest && state.sketches) (series.cur as QuantileSketch)?.compact?.();
      series.newest = idx;
      series.cur = pane;
      series.from = idx * rule.paneWidth;
      series.to = series.from + rule.paneWidth;
    }
    return pane;
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
        if (state.lastSeries === s) state.lastName = state.lastSeries = undefined;
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
    const running = state.running && !includeOpen;
    for (const s of state.series.values()) {
      if (running && rule.type === "percentile") {
        const merged = slideWindow(rule.sketch, s, first, last);
        for (const p of rule.percentiles) {
          const v = merged.quantile(p / 100);
          if (v !== undefined) {
            out.push(sample(`${s.name}.${percentileStat(p)}`, v, s, windowLabel, time, s.unit));
          }
        }
        continue;
      }
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
        size: 0,
        from: 0,
        to: 0,
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
        if (s.win) bytes += s.win.sketch.bytes() + 8 * s.win.included.length;
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

/**
 * The merged sketch of a series' panes `first..last`, kept between reads:
 * panes that slid out are subtracted and new ones added, so a close merges
 * one pane, not all of them. Rebuilt from the ring when the last read was
 * later than `last` or dropped (a late sample, an overwritten pane).
 */
function slideWindow(spec: SketchSpec, s: Series, first: number, last: number): QuantileSketch {
  let w = s.win;
  if (w !== undefined && w.last > last) w = undefined;
  const slots = s.idx.length;
  if (w !== undefined) {
    let removed = false;
    for (let j = w.included.length - 1; j >= 0; j--) {
      const idx = w.included[j];
      if (idx >= first) continue;
      const slot = ((idx % slots) + slots) % slots;
      if (s.idx[slot] !== idx || !w.sketch.subtract!(s.panes[slot] as QuantileSketch)) {
        w = undefined;
        break;
      }
      w.included.splice(j, 1);
      removed = true;
    }
    if (w !== undefined && removed) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const idx of w.included) {
        const [a, b] = (s.panes[((idx % slots) + slots) % slots] as QuantileSketch).range!();
        if (a < lo) lo = a;
        if (b > hi) hi = b;
      }
      w.sketch.setRange!(lo, hi);
    }
  }
  if (w === undefined) w = { sketch: createSketch(spec), last: first - 1, included: [] };
  for (let i = 0; i < slots; i++) {
    const idx = s.idx[i];
    if (idx > w.last && idx >= first && idx <= last) {
      w.sketch.merge(s.panes[i] as QuantileSketch);
      w.included.push(idx);
    }
  }
  w.last = last;
  s.win = w;
  return w.sketch;
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
