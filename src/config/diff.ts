/**
 * A unified diff of two texts (for `sextant config migrate`): the longest
 * common subsequence of their lines, printed in hunks with three lines of
 * context, like `diff -u`.
 * @module
 */

/** Largest line count product diffed exactly; beyond it the whole text is one hunk. */
const MAX_CELLS = 25_000_000;

type Op = { kind: " " | "-" | "+"; line: string };

function lines(text: string): string[] {
  if (text === "") return [];
  const out = text.split("\n");
  if (out[out.length - 1] === "") out.pop();
  return out;
}

function ops(a: string[], b: string[]): Op[] {
  // Common prefix and suffix first: migrations change few lines of long files.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const head: Op[] = a.slice(0, start).map((line) => ({ kind: " ", line }));
  const tail: Op[] = a.slice(endA).map((line) => ({ kind: " ", line }));
  const n = midA.length;
  const m = midB.length;
  let mid: Op[];
  if (n * m > MAX_CELLS) {
    mid = [
      ...midA.map((line) => ({ kind: "-" as const, line })),
      ...midB.map((line) => ({ kind: "+" as const, line })),
    ];
  } else {
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = midA[i] === midB[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    mid = [];
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        mid.push({ kind: " ", line: midA[i++] });
        j++;
      } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        mid.push({ kind: "-", line: midA[i++] });
      } else mid.push({ kind: "+", line: midB[j++] });
    }
  }
  return [...head, ...mid, ...tail];
}

/**
 * The unified diff turning `before` into `after`; empty when they are equal.
 *
 * @example A one-line change
 * ```ts
 * unifiedDiff("a\nb\n", "a\nc\n", "x.toml", "x.toml (migrated)");
 * // --- x.toml\n+++ x.toml (migrated)\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n
 * ```
 */
export function unifiedDiff(before: string, after: string, from: string, to: string): string {
  if (before === after) return "";
  const all = ops(lines(before), lines(after));
  const CONTEXT = 3;
  const out = [`--- ${from}`, `+++ ${to}`];
  let i = 0;
  // Line numbers before each op.
  const posA: number[] = [];
  const posB: number[] = [];
  let la = 1;
  let lb = 1;
  for (const op of all) {
    posA.push(la);
    posB.push(lb);
    if (op.kind !== "+") la++;
    if (op.kind !== "-") lb++;
  }
  while (i < all.length) {
    while (i < all.length && all[i].kind === " ") i++;
    if (i >= all.length) break;
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    // Extend while changes are within 2 * CONTEXT lines of each other.
    for (;;) {
      while (end < all.length && all[end].kind !== " ") end++;
      let k = end;
      while (k < all.length && all[k].kind === " " && k - end < 2 * CONTEXT) k++;
      if (k < all.length && all[k].kind !== " ") end = k;
      else break;
    }
    const stop = Math.min(all.length, end + CONTEXT);
    const hunk = all.slice(start, stop);
    const countA = hunk.filter((o) => o.kind !== "+").length;
    const countB = hunk.filter((o) => o.kind !== "-").length;
    const startA = countA === 0 ? posA[start] - 1 : posA[start];
    const startB = countB === 0 ? posB[start] - 1 : posB[start];
    out.push(`@@ -${startA},${countA} +${startB},${countB} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    i = stop;
  }
  return out.join("\n") + "\n";
}
