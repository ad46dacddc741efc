/**
 * Quantile sketches behind one small interface, so a window can hold any of
 * them per pane and merge panes on read: DDSketch (relative-error
 * guarantee, the default), t-digest (npm `tdigest`) and an exact store with
 * a hard cap for small windows.
 * @module
 */
import { DDSketch } from "@datadog/sketches-js";
// @ts-types="./_tdigest.d.ts"
import tdigest from "tdigest";
import type { TDigest } from "./_tdigest.d.ts";

/** One pane's (or one merged window's) quantile state. */
export interface QuantileSketch {
  /** Adds a value; returns false when the value was not kept (the exact cap). */
  add(value: number): boolean;
  /** Adds everything `other` holds (same algorithm and settings). */
  merge(other: QuantileSketch): void;
  /** The value at quantile `q` in [0, 1]; `undefined` when empty. */
  quantile(q: number): number | undefined;
  /** Values added (exact: kept). */
  readonly count: number;
  /**
   * DDSketch only: removes what `other` holds, which was merged into this
   * sketch before. Returns false (changing nothing) when `other` holds
   * values outside this sketch's bins, i.e. it was never merged here.
   * Bins count values, so this is exact.
   */
  subtract?(other: QuantileSketch): boolean;
  /** DDSketch only: the exact smallest and largest value held ([Infinity, -Infinity] when empty). */
  range?(): [number, number];
  /** DDSketch only: sets the range quantiles are clamped to, after a subtraction. */
  setRange?(min: number, max: number): void;
  /** Frees spare room once the pane is complete (a late value may still come). */
  compact?(): void;
  /** Makes room for `n` values at once (the count of the pane before), instead of growing. */
  reserve?(n: number): void;
  /** Approximate bytes held. */
  bytes(): number;
}

/** Settings of a sketch. */
export type SketchSpec =
  | { algorithm: "ddsketch"; relativeAccuracy: number }
  | { algorithm: "tdigest"; compression: number }
  | { algorithm: "exact"; maxSamples: number };

/**
 * Builds an empty sketch.
 *
 * @example A DDSketch with 1% relative accuracy
 * ```ts
 * const s = createSketch({ algorithm: "ddsketch", relativeAccuracy: 0.01 });
 * for (let i = 1; i <= 100; i++) s.add(i);
 * s.quantile(0.5); // within 1% of 50
 * ```
 */
export function createSketch(spec: SketchSpec): QuantileSketch {
  switch (spec.algorithm) {
    case "ddsketch":
      return new DDSketchQuantiles(spec.relativeAccuracy);
    case "tdigest":
      return new TDigestQuantiles(spec.compression);
    case "exact":
      return new ExactQuantiles(spec.maxSamples);
  }
}

/** Bytes per JS object header and per array slot, for the estimates. */
const OBJECT_BYTES = 64;

/**
 * Values a DDSketch pane keeps as bin codes before it builds its sketch. A
 * pane of a few values (a 30 s source in a 30 s pane holds one) then costs
 * 4 bytes a value instead of a sketch's dense bins (1–4 KiB): see
 * docs/PERFORMANCE.md. Answers are the same: a value's bin is all a sketch
 * keeps of it, besides the exact min and max, which the pane keeps too.
 */
export const DDSKETCH_BUFFER = 128;

type Mapping = DDSketch["mapping"];
const mappings = new Map<number, Mapping>();

/** The sketches' key mapping for an accuracy (shared: it is immutable). */
function mappingFor(relativeAccuracy: number): Mapping {
  let m = mappings.get(relativeAccuracy);
  if (!m) mappings.set(relativeAccuracy, m = new DDSketch({ relativeAccuracy }).mapping);
  return m;
}

/** The code of a value in the zero bin (keys of doubles stay within ±36,000). */
const ZERO_CODE = 0x7fffffff;

/** A value's bin as one integer: 2·key for a positive value, 2·key + 1 for a negative one. */
function binCode(m: Mapping, v: number): number {
  if (v > m.minPossible) return 2 * m.key(v);
  if (v < -m.minPossible) return 2 * m.key(-v) + 1;
  return ZERO_CODE;
}

/** Adds `n` bin codes to a sketch (counts only: its `sum` is not kept). */
function addCodes(s: DDSketch, codes: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const c = codes[i];
    if (c === ZERO_CODE) s.zeroCount++;
    else if (c & 1) s.negativeStore.add(c >> 1, 1);
    else s.store.add(c >> 1, 1);
  }
  s.count += n;
}

class DDSketchQuantiles implements QuantileSketch {
  readonly #accuracy: number;
  readonly #m: Mapping;
  #s?: DDSketch;
  /** Bin codes of the values, until there are more than {@linkcode DDSKETCH_BUFFER}. */
  #codes: Int32Array | undefined;
  #n = 0;
  #min = Infinity;
  #max = -Infinity;
  constructor(relativeAccuracy: number) {
    this.#accuracy = relativeAccuracy;
    this.#m = mappingFor(relativeAccuracy);
  }
  #sketch(): DDSketch {
    if (!this.#s) {
      const s = new DDSketch({ relativeAccuracy: this.#accuracy });
      if (this.#n > 0) {
        addCodes(s, this.#codes!, this.#n);
        s.min = this.#min;
        s.max = this.#max;
      }
      this.#s = s;
      this.#codes = undefined;
      this.#n = 0;
    }
    return this.#s;
  }
  #room(n: number): void {
    const need = this.#n + n;
    if (this.#codes && need <= this.#codes.length) return;
    const next = new Int32Array(Math.min(DDSKETCH_BUFFER, Math.max(4, need, this.#n * 2)));
    if (this.#codes) next.set(this.#codes.subarray(0, this.#n));
    this.#codes = next;
  }
  add(value: number): boolean {
    if (this.#s) {
      this.#s.accept(value);
      return true;
    }
    if (this.#n === DDSKETCH_BUFFER) {
      this.#sketch().accept(value);
      return true;
    }
    this.#room(1);
    this.#codes![this.#n++] = binCode(this.#m, value);
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    return true;
  }
  merge(other: QuantileSketch): void {
    const o = other as DDSketchQuantiles;
    if (o.#s) {
      if (o.#s.count === 0) return;
      const s = this.#sketch();
      const empty = s.count === 0;
      s.merge(o.#s);
      // sketches-js 2.1.1 merges only the positive bins into a non-empty sketch (it copies all
      // into an empty one): its count included the negative values, its bins did not.
      if (!empty) s.negativeStore.merge(o.#s.negativeStore);
      return;
    }
    if (o.#n === 0) return;
    if (!this.#s && this.#n + o.#n <= DDSKETCH_BUFFER) {
      this.#room(o.#n);
      this.#codes!.set(o.#codes!.subarray(0, o.#n), this.#n);
      this.#n += o.#n;
      if (o.#min < this.#min) this.#min = o.#min;
      if (o.#max > this.#max) this.#max = o.#max;
      return;
    }
    const s = this.#sketch();
    addCodes(s, o.#codes!, o.#n);
    if (o.#min < s.min) s.min = o.#min;
    if (o.#max > s.max) s.max = o.#max;
  }
  subtract(other: QuantileSketch): boolean {
    const o = other as DDSketchQuantiles;
    const s = this.#sketch();
    if (o.#s) {
      const p = o.#s;
      if (!fits(s.store, p.store) || !fits(s.negativeStore, p.negativeStore)) return false;
      take(s.store, p.store);
      take(s.negativeStore, p.negativeStore);
      s.zeroCount -= p.zeroCount;
      s.count -= p.count;
      return true;
    }
    const n = o.#n;
    const codes = o.#codes!;
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      if (c === ZERO_CODE ? s.zeroCount < 1 : !has(c & 1 ? s.negativeStore : s.store, c >> 1)) {
        return false;
      }
    }
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      if (c === ZERO_CODE) s.zeroCount--;
      else dec(c & 1 ? s.negativeStore : s.store, c >> 1);
    }
    s.count -= n;
    return true;
  }
  range(): [number, number] {
    if (!this.#s) return [this.#min, this.#max];
    return this.#s.count > 0 ? [this.#s.min, this.#s.max] : [Infinity, -Infinity];
  }
  setRange(min: number, max: number): void {
    const s = this.#sketch();
    s.min = min;
    s.max = max;
  }
  reserve(n: number): void {
    if (!this.#s && !this.#codes && n > 0 && n <= DDSKETCH_BUFFER) this.#codes = new Int32Array(n);
  }
  compact(): void {
    if (this.#codes && this.#codes.length > this.#n) {
      this.#codes = this.#n > 0 ? this.#codes.slice(0, this.#n) : undefined;
    }
  }
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const s = this.#sketch();
    // The sketch's bins are relative to the value; its exact min and max bound it.
    return Math.min(s.max, Math.max(s.min, s.getValueAtQuantile(q)));
  }
  get count(): number {
    return this.#s ? this.#s.count : this.#n;
  }
  bytes(): number {
    if (!this.#s) return OBJECT_BYTES + (this.#codes?.byteLength ?? 0);
    const bins = this.#s.store.bins.length + this.#s.negativeStore.bins.length;
    return 3 * OBJECT_BYTES + 8 * bins;
  }
}

type Store = DDSketch["store"];

/** Whether every non-empty bin of `part` is within `whole`'s bins. */
function fits(whole: Store, part: Store): boolean {
  if (part.count === 0) return true;
  for (let i = 0; i < part.bins.length; i++) {
    if (part.bins[i] !== 0 && !has(whole, i + part.offset)) return false;
  }
  return true;
}

function has(store: Store, key: number): boolean {
  const i = key - store.offset;
  return i >= 0 && i < store.bins.length && store.bins[i] > 0;
}

function dec(store: Store, key: number): void {
  store.bins[key - store.offset]--;
  store.count--;
}

/** Subtracts `part`'s bins from `whole`'s (checked with {@linkcode fits}). */
function take(whole: Store, part: Store): void {
  for (let i = 0; i < part.bins.length; i++) {
    const c = part.bins[i];
    if (c !== 0) whole.bins[i + part.offset - whole.offset] -= c;
  }
  whole.count -= part.count;
}

class TDigestQuantiles implements QuantileSketch {
  readonly #t: TDigest;
  constructor(compression: number) {
    this.#t = new tdigest.TDigest(1 / compression);
  }
  add(value: number): boolean {
    this.#t.push(value);
    return true;
  }
  merge(other: QuantileSketch): void {
    const cs = (other as TDigestQuantiles).#t.toArray();
    if (cs.length === 0) return;
    this.#t.push_centroid(cs);
    // Centroids arrive sorted, the worst order for a t-digest: recompress (it shuffles).
    this.#t.compress();
  }
  quantile(q: number): number | undefined {
    if (this.#t.n === 0) return undefined;
    return this.#t.percentile(q);
  }
  get count(): number {
    return this.#t.n;
  }
  bytes(): number {
    // A red-black tree node plus a centroid object each (measured ~200 bytes together).
    return OBJECT_BYTES + 200 * this.#t.size();
  }
}

/** Keeps every value up to `max`; beyond, values are refused (and counted by the caller). */
class ExactQuantiles implements QuantileSketch {
  #values: number[] = [];
  #sorted = true;
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  add(value: number): boolean {
    if (this.#values.length >= this.#max) return false;
    const n = this.#values.length;
    if (n > 0 && value < this.#values[n - 1]) this.#sorted = false;
    this.#values.push(value);
    return true;
  }
  merge(other: QuantileSketch): void {
    for (const v of (other as ExactQuantiles).#values) if (!this.add(v)) return;
  }
  quantile(q: number): number | undefined {
    if (this.#values.length === 0) return undefined;
    if (!this.#sorted) {
      this.#values.sort((a, b) => a - b);
      this.#sorted = true;
    }
    return exactQuantile(this.#values, q);
  }
  get count(): number {
    return this.#values.length;
  }
  bytes(): number {
    return OBJECT_BYTES + 8 * this.#values.length;
  }
}

/**
 * The value at rank `floor(q * (n - 1))` of sorted `values` (the lower
 * nearest rank; DDSketch uses the same rank, so errors compare like for like).
 */
export function exactQuantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}
