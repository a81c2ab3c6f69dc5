// Means with their spread, for the trainer's evaluation and normalisation and the benches.

/** Mean and population standard deviation. */
export function meanAndStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, xs.length);
  return { mean, std: Math.sqrt(variance) };
}

/** Mean and its normal-approximation 95% interval, mean ± 1.96·s/√n (s the sample standard deviation). */
export function meanInterval(xs: number[]): { mean: number; low: number; high: number } {
  const n = xs.length;
  const mean = xs.reduce((a, x) => a + x, 0) / Math.max(1, n);
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (1.96 * sd) / Math.sqrt(n) : 0;
  return { mean, low: mean - half, high: mean + half };
}
