/**
 * "Did you mean" suggestions for mistyped keys, enum values, source types and
 * CLI subcommands.
 * @module
 */

/**
 * Optimal-string-alignment distance: Levenshtein plus the transposition of two
 * adjacent characters, the most common typo (`guage` → `gauge`).
 *
 * @example Distances
 * ```ts
 * editDistance("guage", "gauge"); // 1
 * editDistance("htp", "http"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  // Three rolling rows: the one before last is needed for transpositions.
  let prev2: number[] = [];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[y.length];
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo:
 * at most one edit per three characters (at least one), ignoring case.
 * Candidates equal to `word` are skipped; ties go to the earlier candidate.
 *
 * @example Suggesting a subcommand
 * ```ts
 * didYouMean("valdiate", ["run", "once", "validate"]); // "validate"
 * didYouMean("xyz", ["run", "once"]); // undefined
 * ```
 */
export function didYouMean(word: string, candidates: string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const d = editDistance(lower, candidate.toLowerCase());
    const limit = Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3));
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
