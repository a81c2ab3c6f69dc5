// The value head's start. A zero head predicts V = 0 everywhere while the returns it must
// learn are the score plus the KL penalties still to come, so its error differs by
// position and the first iterations' advantages carry that offset. Before the first update
// the head is fitted to the first rollout's Monte-Carlo returns by ridge regression on the
// trunk's (frozen) features: a linear least-squares problem with a closed-form answer, so
// the critic starts where a long value-only warm-up would end (TRL and Ouyang et al. 2022
// start the critic from the reward model for the same reason).

/** Monte-Carlo returns G_t = Σ_l γ^l r_{t+l} of one sequence. */
export function discountedReturns(rewards: ArrayLike<number>, gamma: number): Float64Array {
  const G = new Float64Array(rewards.length);
  let next = 0;
  for (let t = rewards.length - 1; t >= 0; t--) G[t] = next = rewards[t]! + gamma * next;
  return G;
}

/**
 * w, b minimising Σ_n (x_n·w + b − y_n)² + λ‖w‖² (the bias is not penalised), by the normal
 * equations and a Cholesky factorisation. x: N rows of C features, row-major.
 */
export function ridgeFit(x: Float32Array | Float64Array, y: ArrayLike<number>, C: number, lambda: number): { w: Float64Array; b: number } {
  const N = y.length;
  const D = C + 1; // the last column is the constant 1
  const A = new Float64Array(D * D);
  const r = new Float64Array(D);
  const row = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < C; i++) row[i] = x[n * C + i]!;
    row[C] = 1;
    for (let i = 0; i < D; i++) {
      const xi = row[i]!;
      if (xi === 0) continue;
      r[i]! += xi * y[n]!;
      for (let j = 0; j <= i; j++) A[i * D + j]! += xi * row[j]!;
    }
  }
  for (let i = 0; i < C; i++) A[i * D + i]! += lambda;
  A[C * D + C]! += 1e-9; // keeps the factorisation defined with no data
  // Cholesky A = L·Lᵀ in the lower triangle, then L·z = r and Lᵀ·w = z
  for (let j = 0; j < D; j++) {
    let d = A[j * D + j]!;
    for (let k = 0; k < j; k++) d -= A[j * D + k]! ** 2;
    const ljj = Math.sqrt(Math.max(d, 1e-12));
    A[j * D + j] = ljj;
    for (let i = j + 1; i < D; i++) {
      let s = A[i * D + j]!;
      for (let k = 0; k < j; k++) s -= A[i * D + k]! * A[j * D + k]!;
      A[i * D + j] = s / ljj;
    }
  }
  const z = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = r[i]!;
    for (let k = 0; k < i; k++) s -= A[i * D + k]! * z[k]!;
    z[i] = s / A[i * D + i]!;
  }
  const sol = new Float64Array(D);
  for (let i = D - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < D; k++) s -= A[k * D + i]! * sol[k]!;
    sol[i] = s / A[i * D + i]!;
  }
  return { w: sol.slice(0, C), b: sol[C]! };
}
