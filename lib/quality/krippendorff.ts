// Krippendorff's alpha, α = 1 − D_o / D_e, by the coincidence matrix (Krippendorff 2011,
// "Computing Krippendorff's Alpha-Reliability"). Units with fewer than two values are
// not pairable and drop out; any number of coders and missing values are allowed.
//     o_ck = Σ_units Σ_{pairs of values (c, k) in the unit, c ≠ k coder} 1 / (m_u − 1)
//     D_o = Σ_ck o_ck δ²(c, k) / n,   D_e = Σ_ck n_c n_k δ²(c, k) / (n (n − 1))

export type Metric = "nominal" | "ordinal" | "interval";

/** units: for each unit, the values its coders gave (missing values simply absent). */
export function krippendorffAlpha(units: number[][], metric: Metric): number {
  const values = [...new Set(units.flat())].sort((a, b) => a - b);
  const index = new Map(values.map((v, i) => [v, i]));
  const V = values.length;
  const o = Array.from({ length: V }, () => new Float64Array(V));
  for (const unit of units) {
    const m = unit.length;
    if (m < 2) continue;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) {
        if (a !== b) o[index.get(unit[a]!)!]![index.get(unit[b]!)!]! += 1 / (m - 1);
      }
    }
  }
  const nc = o.map((row) => row.reduce((s, x) => s + x, 0));
  const n = nc.reduce((s, x) => s + x, 0);
  if (n <= 1) return NaN;
  const delta2 = distance(values, nc, metric);
  let Do = 0;
  let De = 0;
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) {
      Do += o[c]![k]! * delta2(c, k);
      De += nc[c]! * nc[k]! * delta2(c, k);
    }
  }
  Do /= n;
  De /= n * (n - 1);
  return De === 0 ? 1 : 1 - Do / De;
}

function distance(values: number[], nc: number[], metric: Metric): (c: number, k: number) => number {
  if (metric === "nominal") return (c, k) => (c === k ? 0 : 1);
  if (metric === "interval") return (c, k) => (values[c]! - values[k]!) ** 2;
  // ordinal: δ²(c,k) = (Σ_{g between c and k} n_g − (n_c + n_k) / 2)²
  return (c, k) => {
    if (c === k) return 0;
    const [lo, hi] = c < k ? [c, k] : [k, c];
    let s = 0;
    for (let g = lo; g <= hi; g++) s += nc[g]!;
    return (s - (nc[lo]! + nc[hi]!) / 2) ** 2;
  };
}
