// Dense Newton systems of the small fits (style control, Davidson–Luce): parameters are
// items plus a few, so a Cholesky factorisation is cheap and exact.

/** Solves A x = b for symmetric positive definite A (row-major m×m) by Cholesky. */
export function solveSpd(A: Float64Array, b: Float64Array, m: number): Float64Array {
  const L = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = A[i * m + j]!;
      for (let k = 0; k < j; k++) sum -= L[i * m + k]! * L[j * m + k]!;
      L[i * m + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / L[j * m + j]!;
    }
  }
  const z = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= L[i * m + k]! * z[k]!;
    z[i] = sum / L[i * m + i]!;
  }
  const out = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = z[i]!;
    for (let k = i + 1; k < m; k++) sum -= L[k * m + i]! * out[k]!;
    out[i] = sum / L[i * m + i]!;
  }
  return out;
}
