/** Edit distance (insert, delete, substitute, swap of neighbours) between two short strings. Pure. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to what was typed, when it is close enough to be a typo (at most a third of its
 * length, at least 1, at most 3 edits), or a candidate that starts with it. Pure; used for "did you
 * mean …?" on unknown flags, commands and ids (issue 24).
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const dist = editDistance(typed.toLowerCase(), c.toLowerCase());
    if (dist < bestDist) {
      best = c;
      bestDist = dist;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  if (bestDist > 0 && bestDist <= limit) return best;
  if (bestDist === 0) return best;
  for (const c of candidates) if (typed.length >= 2 && c.startsWith(typed)) return c;
  return undefined;
}

/** `; did you mean X?` or '' — appended to the one-line error. */
export function didYouMean(typed: string, candidates: Iterable<string>): string {
  const c = closest(typed, [...candidates]);
  return c === undefined || c === typed ? '' : `; did you mean ${c}?`;
}
