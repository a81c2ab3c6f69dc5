// Fleiss' kappa (Fleiss 1971) for a fixed number of raters per subject:
//     P_i = (Σ_j n_ij² − r) / (r (r − 1)),  P̄ = mean P_i,  p_j = Σ_i n_ij / (N r),
//     P̄_e = Σ_j p_j²,  κ = (P̄ − P̄_e) / (1 − P̄_e)
// counts[i][j]: how many raters put subject i in category j; every row sums to r.

export function fleissKappa(counts: number[][]): number {
  const N = counts.length;
  if (N === 0) return NaN;
  const r = counts[0]!.reduce((s, x) => s + x, 0);
  if (r < 2 || counts.some((row) => row.reduce((s, x) => s + x, 0) !== r)) return NaN;
  const k = counts[0]!.length;
  const p = new Array<number>(k).fill(0);
  let Pbar = 0;
  for (const row of counts) {
    let sq = 0;
    row.forEach((x, j) => {
      sq += x * x;
      p[j]! += x;
    });
    Pbar += (sq - r) / (r * (r - 1));
  }
  Pbar /= N;
  const Pe = p.reduce((s, x) => s + (x / (N * r)) ** 2, 0);
  return Pe === 1 ? 1 : (Pbar - Pe) / (1 - Pe);
}
