// tfjs treats a seed of 0 as "no seed" and draws from Math.random (MPRandGauss: `seed ? seed
// : Math.random()`), so seed 0 would make initialisation unrepeatable. Every random
// initialiser takes its seed from here: a positive integer per (run seed, stream, index).
export function tfSeed(seed: number, stream: number, index = 0): number {
  return 1 + seed * 1_000_003 + stream * 10_007 + index;
}
