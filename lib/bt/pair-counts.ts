// Comparisons aggregated to counts per unordered pair: every fit works on these, never on
// the raw rows, so a million comparisons over a thousand items is at most ~500k pairs.
// The pair index is built once; bootstrap resamples then only re-add weights.

export type PairCounts = {
  nItems: number;
  /** pair p is items i[p] < j[p] */
  i: Int32Array;
  j: Int32Array;
  /** weighted counts: i beat j, j beat i, tied */
  winsIJ: Float64Array;
  winsJI: Float64Array;
  ties: Float64Array;
};

export type PairIndex = {
  nItems: number;
  i: Int32Array;
  j: Int32Array;
  /** per comparison: its pair, and 0 = i won, 1 = j won, 2 = tie */
  pairOf: Int32Array;
  outcome: Uint8Array;
};

const DENSE_LIMIT = 4096; // up to this many items, a dense n×n lookup table (≤ 64 MiB)

/** Comparisons as parallel arrays: winner[r] beat loser[r], or they tied when tie[r]. */
export function indexPairs(nItems: number, winner: ArrayLike<number>, loser: ArrayLike<number>, tie?: ArrayLike<number | boolean>): PairIndex {
  const N = winner.length;
  const pairOf = new Int32Array(N);
  const outcome = new Uint8Array(N);
  const pi: number[] = [];
  const pj: number[] = [];
  const dense = nItems <= DENSE_LIMIT ? new Int32Array(nItems * nItems).fill(-1) : null;
  const sparse = dense ? null : new Map<number, number>();
  for (let r = 0; r < N; r++) {
    const a = winner[r]!;
    const b = loser[r]!;
    if (a === b || a < 0 || b < 0 || a >= nItems || b >= nItems) throw new RangeError(`comparison ${r}: bad items ${a}, ${b}`);
    const i = a < b ? a : b;
    const j = a < b ? b : a;
    const key = i * nItems + j;
    let p = dense ? dense[key]! : (sparse!.get(key) ?? -1);
    if (p < 0) {
      p = pi.length;
      if (dense) dense[key] = p;
      else sparse!.set(key, p);
      pi.push(i);
      pj.push(j);
    }
    pairOf[r] = p;
    outcome[r] = tie?.[r] ? 2 : a === i ? 0 : 1;
  }
  return { nItems, i: Int32Array.from(pi), j: Int32Array.from(pj), pairOf, outcome };
}

/** Counts per pair, each comparison weighted (1 by default; a bootstrap multiplicity; a reliability). */
export function countsOf(index: PairIndex, weight?: ArrayLike<number>): PairCounts {
  const P = index.i.length;
  const out = [new Float64Array(P), new Float64Array(P), new Float64Array(P)] as const;
  const { pairOf, outcome } = index;
  if (weight) for (let r = 0; r < pairOf.length; r++) out[outcome[r]!]![pairOf[r]!]! += weight[r]!;
  else for (let r = 0; r < pairOf.length; r++) out[outcome[r]!]![pairOf[r]!]! += 1;
  return { nItems: index.nItems, i: index.i, j: index.j, winsIJ: out[0], winsJI: out[1], ties: out[2] };
}

export function countPairs(nItems: number, winner: ArrayLike<number>, loser: ArrayLike<number>, tie?: ArrayLike<number | boolean>): PairCounts {
  return countsOf(indexPairs(nItems, winner, loser, tie));
}
