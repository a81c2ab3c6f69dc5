// Poisson draws for the Poisson bootstrap, many at a time. A resample of a million
// comparisons over a thousand items is ~860,000 draws of Poisson(c) for small integer
// counts c, so each draw must cost a few nanoseconds: one 32-bit uniform from an inlined
// mulberry32 and inversion of the cumulative distribution, started from a guide table
// (Chen & Asau 1974) so that it usually takes a single comparison.

/** Integer means up to this use the tables; others fall back to poisson(). */
const TABLE_MAX = 63;
/** Guide cells per table. */
const GUIDE = 1024;

/**
 * The tables of every integer λ ≤ TABLE_MAX in two flat arrays: CDF holds λ's cumulative
 * probabilities from OFFSET[λ] on, and GUIDE_START[λ·GUIDE + g] is the index in CDF of the
 * smallest k with F_λ(k) ≥ g / GUIDE, where inversion of any u in [g / GUIDE, (g + 1) /
 * GUIDE) can start. DIRECT[λ·GUIDE + g] is the draw itself when no F_λ(k) falls inside
 * that interval (so every u in it inverts to the same k), else −1: with 1,024 cells almost
 * every draw is one table read and no search, and the branch that decides it is predictable.
 */
const OFFSET = new Int32Array(TABLE_MAX + 1);
const GUIDE_START = new Int32Array((TABLE_MAX + 1) * GUIDE);
const DIRECT = new Int16Array((TABLE_MAX + 1) * GUIDE);
const CDF = (() => {
  const all: number[] = [];
  for (let lambda = 0; lambda <= TABLE_MAX; lambda++) {
    OFFSET[lambda] = all.length;
    let p = Math.exp(-lambda);
    let c = 0;
    const start = all.length;
    for (let k = 0; c < 1 - 1e-15 && k < 10 * lambda + 50; k++) {
      c += p;
      all.push(c);
      p *= lambda / (k + 1);
    }
    all[all.length - 1] = 1;
    let k = start;
    for (let g = 0; g < GUIDE; g++) {
      while (all[k]! < g / GUIDE) k++;
      GUIDE_START[lambda * GUIDE + g] = k;
      // u in [g/GUIDE, (g+1)/GUIDE) all invert to k when F(k) ≥ (g+1)/GUIDE (and u > F(k−1) already holds)
      DIRECT[lambda * GUIDE + g] = all[k]! >= (g + 1) / GUIDE ? k - start : -1;
    }
  }
  return Float64Array.from(all);
})();

/** Inversion of u ∈ [0, 1) for integer λ ≤ TABLE_MAX. */
function invert(lambda: number, u: number): number {
  const cell = lambda * GUIDE + ((u * GUIDE) | 0);
  const direct = DIRECT[cell]!;
  return direct >= 0 ? direct : search(cell, u) - OFFSET[lambda]!;
}

/** The draw for integer λ in 1..TABLE_MAX from 32 random bits: their top 10 pick the guide cell. */
function fromBits(l: number, bits: number): number {
  const cell = l * GUIDE + (bits >>> 22);
  const direct = DIRECT[cell]!;
  return direct >= 0 ? direct : search(cell, (bits >>> 0) / 4294967296) - OFFSET[l]!;
}

function search(cell: number, u: number): number {
  let k = GUIDE_START[cell]!;
  while (u > CDF[k]!) k++;
  return k;
}

/** A seeded stream of Poisson draws; the same seed gives the same draws. */
export class PoissonStream {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** mulberry32's next 32 bits (as bootstrap.ts's mulberry32), as a signed integer. */
  private next32(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return t ^ (t >>> 14);
  }

  /** One uniform in [0, 1). */
  uniform(): number {
    return (this.next32() >>> 0) / 4294967296;
  }

  /**
   * One Poisson(λ) draw. Kept small for V8 to inline: integer λ ≤ TABLE_MAX (bootstrap
   * counts) costs one random integer.
   */
  draw(lambda: number): number {
    const l = lambda | 0;
    if (l !== lambda || l < 0 || l > TABLE_MAX) return this.drawAny(lambda);
    return l === 0 ? 0 : fromBits(l, this.next32());
  }

  /**
   * out[p] ~ Poisson(lambda[p]) for every p, in order: the same draws as draw() called on
   * each, in a loop of its own with the generator's state in a local (a bootstrap resample
   * is 860,000 of them). 32-bit output: counts are exact to 2^24, and the passes that read
   * them are bound by memory traffic.
   */
  fill(lambda: Float64Array, out: Float32Array): void {
    let state = this.state;
    for (let p = 0; p < lambda.length; p++) {
      const value = lambda[p]!;
      const l = value | 0;
      if (l === 0 && value === 0) {
        out[p] = 0;
      } else if (l === value && l > 0 && l <= TABLE_MAX) {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), state | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        out[p] = fromBits(l, t ^ (t >>> 14));
      } else {
        this.state = state;
        out[p] = this.drawAny(value);
        state = this.state;
      }
    }
    this.state = state;
  }

  private drawAny(lambda: number): number {
    return poisson(lambda, () => this.uniform());
  }
}

/** Poisson(λ) for any λ: the tables for small integers, Knuth's product of uniforms for other small λ, a rounded normal for large λ. */
export function poisson(lambda: number, rand: () => number): number {
  if (lambda <= 0) return 0;
  if (lambda >= 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rand)));
  if (Number.isInteger(lambda) && lambda <= TABLE_MAX) return invert(lambda, rand());
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
