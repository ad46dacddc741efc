/** Deterministic generated data for the accuracy tests and the benchmark. */

/** A seeded PRNG (mulberry32), uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distributions by name: n values each. */
export const DISTRIBUTIONS: Record<string, (n: number, seed?: number) => number[]> = {
  uniform: (n, seed = 1) => {
    const r = rng(seed);
    return Array.from({ length: n }, () => 1 + 999 * r());
  },
  /** Log-normal-ish latencies: a long right tail. */
  skewed: (n, seed = 2) => {
    const r = rng(seed);
    return Array.from({ length: n }, () => {
      const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      return Math.exp(3 + 1.2 * g);
    });
  },
  /** Two modes: fast cache hits around 5, slow misses around 400. */
  bimodal: (n, seed = 3) => {
    const r = rng(seed);
    return Array.from({ length: n }, () => (r() < 0.7 ? 4 + 2 * r() : 350 + 100 * r()));
  },
  constant: (n) => new Array(n).fill(42),
};

/** Exact quantile by the lower nearest rank, as the sketches define it. */
export function exact(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))];
}
