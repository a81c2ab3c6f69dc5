// The PPO bookkeeping between a rollout and an update, on plain arrays (one entry per
// response token), as in TRL's PPO trainer and cleanrl's ppo.py:
// 1. per-token rewards: −β·KL to the reference policy at every token, plus the reward
//    model's score at the last one (Ziegler et al. 2019; Stiennon et al. 2020, eq. 2;
//    Ouyang et al. 2022, eq. 2)
// 2. advantages by GAE (Schulman et al. 2016, eq. 16): Â_t = Σ_l (γλ)^l δ_{t+l},
//    δ_t = r_t + γ V_{t+1} − V_t, with V = 0 after the last token
// 3. returns R_t = Â_t + V_t (the value head's targets), advantages whitened across the batch.

/** r_t = −β (log π(a_t) − log π_ref(a_t)), plus `score` on the last token. */
export function tokenRewards(logprobs: ArrayLike<number>, refLogprobs: ArrayLike<number>, score: number, beta: number): Float64Array {
  const T = logprobs.length;
  const r = new Float64Array(T);
  for (let t = 0; t < T; t++) r[t] = -beta * (logprobs[t]! - refLogprobs[t]!);
  if (T > 0) r[T - 1]! += score;
  return r;
}

/** GAE by the backward recursion Â_t = δ_t + γλ Â_{t+1}. */
export function gae(rewards: ArrayLike<number>, values: ArrayLike<number>, gamma: number, lambda: number): { advantages: Float64Array; returns: Float64Array } {
  const T = rewards.length;
  const advantages = new Float64Array(T);
  const returns = new Float64Array(T);
  let next = 0;
  for (let t = T - 1; t >= 0; t--) {
    const nextValue = t + 1 < T ? values[t + 1]! : 0;
    const delta = rewards[t]! + gamma * nextValue - values[t]!;
    next = delta + gamma * lambda * next;
    advantages[t] = next;
    returns[t] = next + values[t]!;
  }
  return { advantages, returns };
}

/** (x − mean) / √(var + ε) over every token of every sequence (TRL's masked_whiten). */
export function whiten(sequences: Float64Array[], eps = 1e-8): Float64Array[] {
  let n = 0;
  let sum = 0;
  for (const s of sequences) for (const x of s) (sum += x), n++;
  if (n === 0) return sequences.map((s) => Float64Array.from(s));
  const mean = sum / n;
  let sq = 0;
  for (const s of sequences) for (const x of s) sq += (x - mean) ** 2;
  const std = Math.sqrt(sq / n + eps);
  return sequences.map((s) => s.map((x) => (x - mean) / std));
}

/**
 * The adaptive KL controller of Ziegler et al. 2019 (§2.2): β moves toward keeping the
 * policy's KL to the reference near `target`, by at most ±20% of the error per horizon.
 */
export class AdaptiveKl {
  constructor(
    public beta: number,
    readonly target: number,
    readonly horizon: number,
  ) {}

  update(kl: number, steps: number): number {
    const error = Math.max(-0.2, Math.min(0.2, kl / this.target - 1));
    // Ziegler et al.'s β(1 + K·e); the floor keeps β positive when steps exceed the horizon
    this.beta *= Math.max(0.5, 1 + (error * steps) / this.horizon);
    return this.beta;
  }
}
