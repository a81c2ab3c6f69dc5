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
  // Every table is indexed by the pair's cell min·n + max, so the final scan reads each
  // table front to back: lowWon (the smaller index won), highWon, tied.
  const lowWon = new Float64Array(n * n);
  const highWon = new Float64Array(n * n);
  const tied = new Float64Array(tie ? n * n : 0);
  for (let r = 0; r < winner.length; r++) {
    const a = winner[r]!;
    const b = loser[r]!;
    check(r, a, b, n);
    const w = weight ? weight[r]! : 1;
    if (tie?.[r]) tied[a < b ? a * n + b : b * n + a]! += w;
    else if (a < b) lowWon[a * n + b]! += w;
    else highWon[b * n + a]! += w;
  }
  let P = 0;
  for (let cell = 0; cell < n * n; cell++) if (lowWon[cell] !== 0 || highWon[cell] !== 0 || (tie && tied[cell] !== 0)) P++;
  const out: PairCounts = {
    nItems: n,
    i: new Int32Array(P),
    j: new Int32Array(P),
    winsIJ: new Float64Array(P),
    winsJI: new Float64Array(P),
    ties: new Float64Array(P),
  };
  let p = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1, cell = i * n + i + 1; j < n; j++, cell++) {
      const t = tie ? tied[cell]! : 0;
      if (lowWon[cell] === 0 && highWon[cell] === 0 && t === 0) continue;
      out.i[p] = i;
      out.j[p] = j;
      out.winsIJ[p] = lowWon[cell]!;
      out.winsJI[p] = highWon[cell]!;
      out.ties[p] = t;
      p++;
    }
  }
  return out;
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
