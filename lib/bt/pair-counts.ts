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
  // Counts go into the packed upper triangle (pair i < j at cell i·n − i(i+1)/2 + j − i − 1),
  // two slots per cell: i beat j, j beat i; ties, when there are any, in a third table.
  // One scan of the cells in order then gathers the pairs that met. Unweighted comparisons
  // count in 16-bit integers (a quarter of the memory the random increments touch) and
  // start over in 32 bits in the rare case that one pair's count overflows.
  const cells = (n * (n - 1)) / 2;
  let won: Uint16Array | Int32Array | Float64Array;
  let tied: Uint16Array | Int32Array | Float64Array | null;
  const won16 = weight ? null : new Uint16Array(2 * cells);
  const tied16 = tie && !weight ? new Uint16Array(cells) : null;
  if (won16 && tally16(n, winner, loser, tie, won16, tied16)) {
    won = won16;
    tied = tied16;
  } else {
    won = weight ? new Float64Array(2 * cells) : new Int32Array(2 * cells);
    tied = tie ? (weight ? new Float64Array(cells) : new Int32Array(cells)) : null;
    tallyWide(n, winner, loser, tie, weight, won, tied);
  }
  let P = 0;
  for (let q = 0; q < cells; q++) if (won[2 * q] !== 0 || won[2 * q + 1] !== 0 || (tied !== null && tied[q] !== 0)) P++;
  const I = new Int32Array(P);
  const J = new Int32Array(P);
  const winsIJ = new Float64Array(P);
  const winsJI = new Float64Array(P);
  const ties = new Float64Array(P);
  let p = 0;
  let q = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++, q++) {
      const x = won[2 * q]!;
      const y = won[2 * q + 1]!;
      const t = tied !== null ? tied[q]! : 0;
      if (x === 0 && y === 0 && t === 0) continue;
      I[p] = i;
      J[p] = j;
      winsIJ[p] = x;
      winsJI[p] = y;
      ties[p] = t;
      p++;
    }
  }
  return { nItems: n, i: I, j: J, winsIJ, winsJI, ties };
}

/** Cell of pair {a, b} in the packed upper triangle. */
function cellOf(a: number, b: number, n: number): number {
  const lo = a < b ? a : b;
  return lo * n - (lo * (lo + 1)) / 2 + (a ^ b ^ lo) - lo - 1;
}

/** Unweighted counts in 16 bits; false when one overflows. */
function tally16(n: number, winner: ArrayLike<number>, loser: ArrayLike<number>, tie: ArrayLike<number | boolean> | undefined, won: Uint16Array, tied: Uint16Array | null): boolean {
  for (let r = 0; r < winner.length; r++) {
    const a = winner[r]!;
    const b = loser[r]!;
    if (a === b || !(a >= 0 && b >= 0 && a < n && b < n)) check(r, a, b, n);
    const q = cellOf(a, b, n);
    if (tied !== null && tie![r]) {
      if (++tied[q]! === 0) return false;
    } else if (++won[2 * q + (a < b ? 0 : 1)]! === 0) return false;
  }
  return true;
}

function tallyWide(n: number, winner: ArrayLike<number>, loser: ArrayLike<number>, tie: ArrayLike<number | boolean> | undefined, weight: ArrayLike<number> | undefined, won: Int32Array | Float64Array, tied: Int32Array | Float64Array | null): void {
  for (let r = 0; r < winner.length; r++) {
    const a = winner[r]!;
    const b = loser[r]!;
    if (a === b || !(a >= 0 && b >= 0 && a < n && b < n)) check(r, a, b, n);
    const q = cellOf(a, b, n);
    const w = weight ? weight[r]! : 1;
    if (tied !== null && tie![r]) tied[q]! += w;
    else won[2 * q + (a < b ? 0 : 1)]! += w;
  }
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
