// The PPO details that make it learn (Huang et al. 2024), each a test that fails without it:
// the sampler's probabilities are the trainer's at the same temperature; the first minibatch
// starts on-policy (approx KL and clip fraction ≈ 0); KL to a distinct reference grows once
// the policy moves; end-of-text is an action and a truncated response gets the fixed
// penalty; the value head starts fitted to the returns; LoRA A as PEFT; the clipped value
// loss takes the max; a reward does not depend on batch-mates or padding.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { smallConfig } from "@/trainer/model/config";
import { initParams, type Params } from "@/trainer/model/gpt2";
import { initRewardHead } from "@/trainer/model/heads";
import { LoraAdapter } from "@/trainer/model/lora";
import { ppoLosses } from "@/trainer/ppo/losses";
import { DEFAULT_PPO, PpoTrainer, type Sample, type Scorer } from "@/trainer/ppo/ppo-trainer";
import { discountedReturns, ridgeFit, ridgeFitCV } from "@/trainer/ppo/value-warmup";
import { rewardsOf } from "@/trainer/reward/score";
import { backendReady } from "./tf-backend";
import { toyBase } from "./toy-policy";

beforeAll(async () => void (await backendReady));

const config = smallConfig({ n_positions: 48, n_embd: 32, n_layer: 2, n_head: 2 });
const enc = (s: string) => [...new TextEncoder().encode(s)];
// prompts of different lengths, so the sampler's batch is left-padded
const prompts = ["a", "hello there:", "q1?", "a longer prompt here:", "x", "yes or no:", "12+3=", "zz"].map(enc);
const letters = (_: number[][], responses: number[][]) => responses.map((r) => r.filter((b) => (b >= 65 && b <= 90) || (b >= 97 && b <= 122)).length / Math.max(1, r.length));


function trainer(opts: Partial<typeof DEFAULT_PPO> = {}, reference?: Params) {
  const base = toyBase(config, 3);
  const lora = new LoraAdapter({ r: 4, alpha: 8, targets: ["c_attn", "c_fc", "c_proj"] }, config, 4);
  return new PpoTrainer(config, base, reference ?? base, lora, new Map(), { ...DEFAULT_PPO, maxNewTokens: 6, miniBatch: 4, ppoEpochs: 2, learningRate: 3e-3, temperature: 0.7, seed: 2, ...opts });
}

describe("PPO correctness", () => {
  it("samples with the probabilities the training forward pass assigns, at the sampling temperature, after training", async () => {
    const t = trainer();
    for (let i = 0; i < 3; i++) await t.step(prompts, letters); // the adapter is no longer zero
    expect(Math.max(...[...t.lora.params.values()].filter((v) => v.name.includes("")).map((v) => Math.max(...Array.from(v.dataSync()).map(Math.abs))))).toBeGreaterThan(0);
    const { samples } = await t.rollout(prompts, letters);
    for (const s of samples) {
      expect(s.samplerLogprobs.length).toBe(s.logprobs.length);
      s.logprobs.forEach((lp, j) => expect(Math.exp(lp)).toBeCloseTo(Math.exp(s.samplerLogprobs[j]!), 3));
    }
    t.dispose();
  }, 120_000);

  it("starts each step on-policy: approx KL and clip fraction ≈ 0 on the first minibatch", async () => {
    const t = trainer();
    await t.step(prompts, letters);
    await t.step(prompts, letters);
    expect(t.minibatchLog[0]!.approxKl).toBeLessThan(1e-4);
    expect(t.minibatchLog[0]!.clipFrac).toBe(0);
    t.dispose();
  }, 120_000);

  it("measures KL against the reference, not the policy: 0 at the start, > 0 once the policy moved", async () => {
    const t = trainer({ learningRate: 1e-2 });
    const first = await t.rollout(prompts, letters);
    expect(Math.abs(first.kl)).toBeLessThan(1e-4);
    for (let i = 0; i < 4; i++) await t.step(prompts, letters);
    const later = await t.rollout(prompts, letters);
    expect(later.kl).toBeGreaterThan(1e-3);
    t.dispose();
  }, 120_000);

  it("treats end-of-text as an action and gives a truncated response the fixed penalty instead of a score", async () => {
    const t = trainer({ maxNewTokens: 4, missingEosPenalty: 2.5 });
    const scored: number[][] = [];
    const { samples, scores } = await t.rollout(prompts, (p, r) => {
      scored.push(...r);
      return r.map(() => 10);
    });
    const eos = config.eos_token_id;
    samples.forEach((s, i) => {
      const response = s.ids.slice(s.promptLength);
      expect(response.length).toBe(s.logprobs.length); // eos, when sampled, has a log-prob, a value and an advantage
      expect(s.values.length).toBe(response.length);
      expect(s.advantages.length).toBe(response.length);
      if (s.finished) {
        expect(response.at(-1)).toBe(eos);
        expect(scores[i]).toBe(10);
      } else {
        expect(response).not.toContain(eos);
        expect(scores[i]).toBe(-2.5);
      }
    });
    expect(samples.some((s) => s.finished) && samples.some((s) => !s.finished)).toBe(true);
    for (const r of scored) expect(r).not.toContain(eos); // the scorer gets responses without their eos
    t.dispose();
  }, 120_000);

  it("normalises scores with the reward model's stored shift and scale", async () => {
    const t = trainer({ maxNewTokens: 40, rewardShift: 3, rewardScale: 2, missingEosPenalty: 0 });
    const { samples, scores } = await t.rollout(prompts, (_, r) => r.map(() => 7));
    samples.forEach((s, i) => s.finished && expect(scores[i]).toBeCloseTo(2, 10));
    t.dispose();
  }, 120_000);

  it("does not crash on an empty batch", async () => {
    const t = trainer();
    const m = await t.step([], letters);
    expect(m["env/reward_mean"]).toBe(0);
    expect(m["response/length"]).toBe(0);
    t.dispose();
  });

  it("starts the value head fitted, on a rollout of its own, to the returns (no lag the first updates must make up)", async () => {
    const scorer: Scorer = (_, r) => r.map((x) => 1 + x.length);
    const many = [...prompts, ...prompts, ...prompts, ...prompts]; // 32 rows: means that hold from one rollout to the next
    const fitted = trainer({ maxNewTokens: 12, missingEosPenalty: 0 });
    await fitted.warmUpValueHead(many, scorer);
    const cold = trainer({ maxNewTokens: 12, missingEosPenalty: 0, valueWarmup: false });
    // out of sample: the rollouts scored below are not the one the head was fitted on; the
    // error against the Monte-Carlo returns the head was fitted to
    const [warm, zero] = [await fitted.rollout(many, scorer), await cold.rollout(many, scorer)];
    // the critic's systematic error (mean of G − V over tokens): what a zero head makes every
    // advantage carry until the value loss has caught up
    const offset = (r: { samples: Sample[]; rewards: Float64Array[] }) => {
      const errs = r.samples.flatMap((s, i) => Array.from(discountedReturns(r.rewards[i]!, 1), (g, k) => g - s.values[k]!));
      return Math.abs(errs.reduce((a, e) => a + e, 0) / errs.length);
    };
    expect(zero.samples.every((s) => s.values.every((v) => v === 0))).toBe(true);
    expect(offset(zero)).toBeGreaterThan(1);
    expect(offset(warm)).toBeLessThan(0.3 * offset(zero));
    fitted.dispose();
    cold.dispose();
  }, 120_000);
});

describe("PPO parts", () => {
  it("ridge regression recovers a linear function", () => {
    const C = 3;
    const x = Float64Array.from({ length: 200 * C }, (_, i) => Math.sin(i * 1.7) + Math.cos(i * 0.3));
    const y = Array.from({ length: 200 }, (_, n) => 0.5 * x[n * C]! - 2 * x[n * C + 1]! + 0.25 * x[n * C + 2]! + 1.5);
    const { w, b } = ridgeFit(x, y, C, 1e-9);
    expect(w[0]).toBeCloseTo(0.5, 5);
    expect(w[1]).toBeCloseTo(-2, 5);
    expect(w[2]).toBeCloseTo(0.25, 5);
    expect(b).toBeCloseTo(1.5, 5);
  });

  it("cross-validated ridge picks features that predict held-out sequences, and the mean when none do", () => {
    const C = 4;
    const N = 400;
    const x = Float64Array.from({ length: N * C }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const group = Float64Array.from({ length: N }, (_, n) => Math.floor(n / 10));
    const linear = Array.from({ length: N }, (_, n) => 3 * x[n * C]! - x[n * C + 2]! + 0.5);
    const fit = ridgeFitCV(x, linear, C, group);
    expect(fit.lambda).not.toBeNull();
    expect(fit.w[0]).toBeCloseTo(3, 1);
    // a target that is one value per sequence, unrelated to the features: only the mean generalises
    const perSequence = Array.from({ length: N }, (_, n) => ((Math.floor(n / 10) * 7919) % 13) - 6);
    const noise = ridgeFitCV(x, perSequence, C, group);
    const mean = perSequence.reduce((a, v) => a + v, 0) / N;
    const sd = Math.sqrt(perSequence.reduce((a, v) => a + (v - mean) ** 2, 0) / N);
    const preds = Array.from({ length: N }, (_, n) => noise.b + Array.from(noise.w).reduce((a, w, i) => a + w * x[n * C + i]!, 0));
    // the mean, or so heavily penalised that it is close to it
    for (const p of preds) expect(Math.abs(p - mean)).toBeLessThan(0.2 * sd);
  });

  it("initialises LoRA A as PEFT does: uniform in ±1/√fan_in, B zero", () => {
    const lora = new LoraAdapter({ r: 4, alpha: 8, targets: ["c_fc"] }, config, 1);
    const A = lora.params.get("transformer.h.0.mlp.c_fc.lora_A")!;
    const B = lora.params.get("transformer.h.0.mlp.c_fc.lora_B")!;
    const a = Array.from(A.dataSync());
    const bound = 1 / Math.sqrt(config.n_embd);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.8 * bound); // uniform, not a narrow normal
    expect(Array.from(B.dataSync()).every((v) => v === 0)).toBe(true);
    lora.dispose();
  });

  it("clips the value loss by taking the larger of the clipped and unclipped errors", () => {
    const l = tf.tidy(() => {
      const one = (x: number) => tf.tensor1d([x]);
      // V moved from 0 to 1 (clip 0.2 holds it at 0.2), return 0.5: unclipped error 0.25, clipped 0.09 → max 0.25
      const a = ppoLosses({ logprobs: one(0), oldLogprobs: one(0), advantages: one(0), values: one(1), oldValues: one(0), returns: one(0.5) }, { clip: 0.2, valueClip: 0.2, valueCoef: 1 });
      // V moved from 0 to 0.4 (clipped 0.2), return 1: unclipped 0.36, clipped 0.64 → max 0.64
      const b = ppoLosses({ logprobs: one(0), oldLogprobs: one(0), advantages: one(0), values: one(0.4), oldValues: one(0), returns: one(1) }, { clip: 0.2, valueClip: 0.2, valueCoef: 1 });
      return [a.vLoss.dataSync()[0]!, b.vLoss.dataSync()[0]!];
    });
    expect(l[0]).toBeCloseTo(0.5 * 0.25, 6);
    expect(l[1]).toBeCloseTo(0.5 * 0.64, 6);
  });

  it("scores a sequence the same alone, next to a longer batch-mate, or padded", async () => {
    const params = initParams(config, 9);
    initRewardHead(params, config.n_embd, 9);
    const eos = config.eos_token_id;
    const short = [...enc("q: hi"), ...enc(" ok"), eos];
    const long = [...enc("a much longer prompt"), ...enc(" and a long answer"), eos];
    const [alone] = await rewardsOf(config, params, [short]);
    const [withMate] = await rewardsOf(config, params, [short, long]);
    const [padded] = await rewardsOf(config, params, [[...short, eos, eos, eos]]);
    const [noEos] = await rewardsOf(config, params, [short.slice(0, -1)]);
    expect(withMate).toBeCloseTo(alone!, 5);
    expect(padded).toBeCloseTo(alone!, 5); // read at the last non-pad token, as transformers reads it
    expect(noEos).toBeCloseTo(alone!, 5);
  });
});
