// Scores to a ranking with ties: indexes grouped by equal score, highest first.

export function rankByScore(scores: number[]): number[][] {
  const distinct = [...new Set(scores)].sort((a, b) => b - a);
  return distinct.map((s) => scores.flatMap((x, i) => (x === s ? [i] : [])));
}

/**
 * Per-criterion rankings from each response's ratings: a criterion is kept only when every
 * response has a number for it (a ranking places every response).
 */
export function criteriaRankings(ratings: Record<string, number>[], names: readonly string[]): Record<string, number[][]> {
  const out: Record<string, number[][]> = {};
  for (const name of names) {
    const scores = ratings.map((r) => r[name]);
    if (scores.every((s): s is number => typeof s === "number")) out[name] = rankByScore(scores);
  }
  return out;
}
