// Comparisons aggregated to counts per unordered pair: every fit works on these, never on
// the raw rows, so a million comparisons over a thousand items become ~430k pairs.

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

/** Up to this many items the counts go through dense n×n tables (sequential scans, no hashing). */
const DENSE_LIMIT = 2048;

function check(r: number, a: number, b: number, n: number): void {
  if (a === b || !(a >= 0 && b >= 0 && a < n && b < n)) throw new RangeError(`comparison ${r}: bad items ${a}, ${b}`);
}

/**
 * Comparisons as parallel arrays: winner[r] beat loser[r], or they tied when tie[r].
 * `weight` (default 1) scales a comparison, e.g. by its annotator's reliability.
 */
export function countPairs(
  nItems: number,
  winner: ArrayLike<number>,
  loser: ArrayLike<number>,
  tie?: ArrayLike<number | boolean>,
  weight?: ArrayLike<number>,
): PairCounts {
  return nItems <= DENSE_LIMIT ? countDense(nItems, winner, loser, tie, weight) : countSparse(nItems, winner, loser, tie, weight);
}

function countDense(n: number, winner: ArrayLike<number>, loser: ArrayLike<number>, tie?: ArrayLike<number | boolean>, weight?: ArrayLike<number>): PairCounts {
  // One directed table won[a·n + b] (a beat b) and, only when there are ties, one for
  // them; then one scan of the upper triangle gathers the pairs that met. Unweighted
  // comparisons count in 32-bit integers.
  const won = weight ? new Float64Array(n * n) : new Int32Array(n * n);
  const tied = tie ? new Float64Array(n * n) : null;
  const R = winner.length;
  for (let r = 0; r < R; r++) {
    const a = winner[r]!;
    const b = loser[r]!;
    if (a === b || !(a >= 0 && b >= 0 && a < n && b < n)) check(r, a, b, n);
    const w = weight ? weight[r]! : 1;
    if (tied && tie![r]) tied[a < b ? a * n + b : b * n + a]! += w;
    else won[a * n + b]! += w;
  }
  const maxPairs = Math.min(R, (n * (n - 1)) / 2);
  const I = new Int32Array(maxPairs);
  const J = new Int32Array(maxPairs);
  const winsIJ = new Float64Array(maxPairs);
  const winsJI = new Float64Array(maxPairs);
  const ties = new Float64Array(maxPairs);
  let P = 0;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = i + 1; j < n; j++) {
      const x = won[row + j]!;
      const y = won[j * n + i]!;
      const t = tied ? tied[row + j]! : 0;
      if (x === 0 && y === 0 && t === 0) continue;
      I[P] = i;
      J[P] = j;
      winsIJ[P] = x;
      winsJI[P] = y;
      ties[P] = t;
      P++;
    }
  }
  return { nItems: n, i: I.subarray(0, P), j: J.subarray(0, P), winsIJ: winsIJ.subarray(0, P), winsJI: winsJI.subarray(0, P), ties: ties.subarray(0, P) };
}

function countSparse(n: number, winner: ArrayLike<number>, loser: ArrayLike<number>, tie?: ArrayLike<number | boolean>, weight?: ArrayLike<number>): PairCounts {
  const index = new Map<number, number>();
  const pi: number[] = [];
  const pj: number[] = [];
  const wij: number[] = [];
  const wji: number[] = [];
  const wt: number[] = [];
  for (let r = 0; r < winner.length; r++) {
    const a = winner[r]!;
    const b = loser[r]!;
    check(r, a, b, n);
    const i = Math.min(a, b);
    const j = Math.max(a, b);
    let p = index.get(i * n + j);
    if (p === undefined) {
      index.set(i * n + j, (p = pi.length));
      pi.push(i), pj.push(j), wij.push(0), wji.push(0), wt.push(0);
    }
    const w = weight ? weight[r]! : 1;
    if (tie?.[r]) wt[p]! += w;
    else if (a === i) wij[p]! += w;
    else wji[p]! += w;
  }
  return pack(n, pi, pj, wij, wji, wt);
}

function pack(nItems: number, i: number[], j: number[], winsIJ: number[], winsJI: number[], ties: number[]): PairCounts {
  return {
    nItems,
    i: Int32Array.from(i),
    j: Int32Array.from(j),
    winsIJ: Float64Array.from(winsIJ),
    winsJI: Float64Array.from(winsJI),
    ties: Float64Array.from(ties),
  };
}
