import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { AdaptiveKl, gae, tokenRewards, whiten } from "@/trainer/ppo/advantages";
import { ppoLosses } from "@/trainer/ppo/losses";
import { backendReady } from "./tf-backend";

beforeAll(async () => void (await backendReady));

describe("PPO bookkeeping", () => {
  it("GAE by recursion equals its definition as a discounted sum of TD residuals", () => {
    const rewards = [0.1, -0.2, 0.05, 1.3, 0.4];
    const values = [0.5, 0.2, -0.1, 0.7, 0.3];
    const [gamma, lambda] = [0.99, 0.95];
    const { advantages, returns } = gae(rewards, values, gamma, lambda);
    const delta = rewards.map((r, t) => r + gamma * (values[t + 1] ?? 0) - values[t]!);
    delta.forEach((_, t) => {
      let direct = 0;
      for (let l = 0; t + l < delta.length; l++) direct += (gamma * lambda) ** l * delta[t + l]!;
      expect(advantages[t]).toBeCloseTo(direct, 12);
      expect(returns[t]).toBeCloseTo(direct + values[t]!, 12);
    });
    // λ = 1, γ = 1: the advantage is the return to go minus the value
    const mc = gae(rewards, values, 1, 1);
    expect(mc.returns[0]).toBeCloseTo(rewards.reduce((a, r) => a + r, 0), 12);
  });

  it("puts the KL penalty on every token and the score on the last; whitening gives mean 0, variance 1", () => {
    const r = tokenRewards([-1, -2, -0.5], [-1.5, -2, -1], 2, 0.1);
    expect(Array.from(r)).toEqual([-0.1 * 0.5, -0, -0.1 * 0.5 + 2]);
    const w = whiten([Float64Array.from([1, 2, 3]), Float64Array.from([4, 10])]);
    const all = w.flatMap((s) => Array.from(s));
    expect(all.reduce((a, x) => a + x, 0) / all.length).toBeCloseTo(0, 12);
    expect(all.reduce((a, x) => a + x * x, 0) / all.length).toBeCloseTo(1, 6);
  });

  it("adapts β toward the KL target, at most 20% of the error per horizon", () => {
    const kl = new AdaptiveKl(0.1, 6, 10_000);
    expect(kl.update(12, 10_000)).toBeCloseTo(0.12, 12); // KL twice the target: +20%
    expect(kl.update(3, 10_000)).toBeCloseTo(0.12 * 0.8, 12); // half: −20%
    expect(kl.update(6, 10_000)).toBeCloseTo(0.096, 12);
  });

  it("clips the policy objective: no gradient from ratios past 1 ± ε in the advantage's direction", () => {
    const old = tf.tensor1d([0, 0, 0]);
    const adv = tf.tensor1d([1, 1, -1]);
    const zeros = tf.zeros([3]) as tf.Tensor1D;
    const g = tf.grad((lp: tf.Tensor) =>
      ppoLosses({ logprobs: lp as tf.Tensor1D, oldLogprobs: old, advantages: adv, values: zeros, oldValues: zeros, returns: zeros }, { clip: 0.2, valueClip: 0.2, valueCoef: 0.5 }).pgLoss,
    )(tf.tensor1d([Math.log(1.1), Math.log(1.5), Math.log(1.5)]));
    const [inside, pastForPositive, pastForNegative] = g.arraySync() as number[];
    expect(inside).toBeCloseTo(-1.1 / 3, 6); // −Â·ρ / n
    expect(pastForPositive).toBe(0); // ρ = 1.5 > 1.2 with Â > 0: clipped
    expect(pastForNegative).toBeCloseTo(1.5 / 3, 6); // with Â < 0 the unclipped term is the max
    const m = ppoLosses({ logprobs: tf.tensor1d([Math.log(1.1), Math.log(1.5), 0]), oldLogprobs: old, advantages: adv, values: zeros, oldValues: zeros, returns: zeros }, { clip: 0.2, valueClip: 0.2, valueCoef: 0.5 });
    expect(m.clipFrac.dataSync()[0]).toBeCloseTo(1 / 3, 6);
    expect(m.approxKl.dataSync()[0]).toBeGreaterThan(0);
  });
});
