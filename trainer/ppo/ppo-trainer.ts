// PPO on a causal LM with a KL penalty to a frozen reference policy (Stiennon et al. 2020;
// Ouyang et al. 2022), the policy being its start weights plus a LoRA adapter (Hu et al.
// 2021) and the critic a value head on the policy's trunk. The reference is the SFT model;
// the start weights are the SFT model too in round 1 and the previous round's policy after
// (iterated RLHF, Touvron et al. 2023 §3.2). One iteration reads top to bottom as in
// cleanrl and TRL:
//   1. generate responses to a batch of prompts with the current policy; end-of-text is an
//      action (its log-prob, KL term, value and advantage count like any token's)
//   2. score them: the reward model on finished responses, normalised to mean 0 and std 1
//      over reference samples (Ziegler et al. 2019 §2.2); a fixed −missingEosPenalty for a
//      response cut at maxNewTokens (TRL's missing_eos_penalty)
//   3. per-token rewards: −β·KL to the reference at every token, the score at the last
//   4. advantages by GAE, whitened over the batch; returns as value targets (the value head
//      fitted before the first update to the returns of a rollout of its own: value-warmup.ts)
//   5. PPO epochs over minibatches: clipped policy loss + clipped value loss, gradients
//      clipped to a global norm
//   6. adapt β toward the KL target
// Log-probs of the policy and the reference are taken at the sampling temperature
// (Huang et al. 2024, "The N+ Implementation Details of RLHF with PPO", detail 11).
import * as tf from "@tensorflow/tfjs-core";
import { mulberry32 } from "@/lib/bt/bootstrap";
import type { GPT2Config } from "../model/config";
import { forward, type Params, rowTokenStats } from "../model/gpt2";
import { VALUE_HEAD_B, VALUE_HEAD_W, initValueHead, valuesOf } from "../model/heads";
import type { LoraAdapter } from "../model/lora";
import { sample } from "../generate";
import { AdaptiveKl, gae, tokenRewards, whiten } from "./advantages";
import { ppoLosses } from "./losses";
import { discountedReturns, ridgeFitCV } from "./value-warmup";
import { clipByGlobalNorm } from "../model/grad-clip";

export type PpoConfig = {
  maxNewTokens: number;
  temperature: number;
  ppoEpochs: number;
  miniBatch: number;
  learningRate: number;
  maxGradNorm: number;
  clip: number;
  valueClip: number;
  valueCoef: number;
  gamma: number;
  lambda: number;
  initKl: number;
  targetKl: number;
  /** samples over which β may move by ±20% of its error (Ziegler et al. 2019 used 10,000) */
  klHorizon: number;
  /** the score of a response without end-of-text is −this (normalised units) */
  missingEosPenalty: number;
  /** normalised score = (raw − shift) / scale */
  rewardShift: number;
  rewardScale: number;
  /** fit the value head to the first rollout's returns before the first update */
  valueWarmup: boolean;
  seed: number;
};

export const DEFAULT_PPO: PpoConfig = {
  maxNewTokens: 32,
  temperature: 1,
  ppoEpochs: 4,
  miniBatch: 8,
  learningRate: 2e-4,
  maxGradNorm: 1,
  clip: 0.2,
  valueClip: 0.2,
  valueCoef: 0.1,
  gamma: 1,
  lambda: 0.95,
  initKl: 0.05,
  targetKl: 6,
  klHorizon: 10_000,
  missingEosPenalty: 3,
  rewardShift: 0,
  rewardScale: 1,
  valueWarmup: true,
  seed: 0,
};

/**
 * Each response's score as PPO sees it: a finished one's raw reward-model score normalised,
 * (raw − shift) / scale; one cut at maxNewTokens, −missingEosPenalty. `raw` holds the
 * finished responses' scores, in order.
 */
export function episodeScores(finished: boolean[], raw: number[], o: { shift: number; scale: number; missingEosPenalty: number }): number[] {
  let k = 0;
  return finished.map((f) => (f ? (raw[k++]! - o.shift) / o.scale : -o.missingEosPenalty));
}

/** Raw reward-model scores of finished responses (token ids without end-of-text). */
export type Scorer = (prompts: number[][], responses: number[][]) => Promise<number[]> | number[];

/** One sampled response with what the update needs, all per response token. */
export type Sample = {
  ids: number[]; // prompt + response (the response ends with eos when finished)
  promptLength: number;
  finished: boolean;
  /** log π_old at sampling time, from the sampler (generation's own forward passes) */
  samplerLogprobs: Float64Array;
  logprobs: Float64Array;
  refLogprobs: Float64Array;
  values: Float64Array;
  advantages: Float64Array;
  returns: Float64Array;
};

export type PpoMetrics = {
  "env/reward_mean": number;
  "env/reward_raw_mean": number;
  "env/finished": number;
  "objective/kl": number;
  "objective/kl_coef": number;
  "policy/entropy": number;
  "policy/approxkl": number;
  "policy/clipfrac": number;
  "loss/policy": number;
  "loss/value": number;
  "value/explained_variance": number;
  "response/length": number;
};

type Evaluated = { logprobs: tf.Tensor1D; values: tf.Tensor1D; entropy: tf.Tensor1D; features: tf.Tensor2D };

export class PpoTrainer {
  readonly kl: AdaptiveKl;
  private readonly optimizer: tf.Optimizer;
  private iteration = 0;
  private warmedUp: boolean;
  private readonly rand: () => number;
  /** approx KL and clip fraction of each minibatch of the last step, in order */
  minibatchLog: { approxKl: number; clipFrac: number }[] = [];

  constructor(
    readonly modelConfig: GPT2Config,
    /** the policy's start weights: frozen; the policy is these plus the adapter */
    readonly start: Params,
    /** the reference policy of the KL penalty (the SFT model); may be `start` itself */
    readonly reference: Params,
    readonly lora: LoraAdapter,
    /** the value head's own parameters (v_head.summary.*) */
    readonly valueHead: Params,
    readonly config: PpoConfig = DEFAULT_PPO,
  ) {
    if (!valueHead.size) initValueHead(valueHead, modelConfig.n_embd);
    this.warmedUp = !config.valueWarmup;
    this.kl = new AdaptiveKl(config.initKl, config.targetKl, config.klHorizon);
    this.optimizer = tf.train.adam(config.learningRate);
    this.rand = mulberry32(config.seed + 7);
  }

  trainable(): tf.Variable[] {
    return [...this.lora.params.values(), ...this.valueHead.values()];
  }

  /**
   * Per response token, flat over the batch: log-probs at the sampling temperature and the
   * entropy of the distribution they came from, under the policy (start + adapter) or the
   * reference; the values and the trunk features before each token (policy only).
   * Sequences are right-padded: causal attention never looks at the padding.
   */
  evaluate(samples: Sample[], which: "policy" | "reference"): Evaluated {
    const T = Math.max(...samples.map((s) => s.ids.length));
    const eos = this.modelConfig.eos_token_id;
    const ids = tf.tensor2d(samples.map((s) => [...s.ids, ...new Array<number>(T - s.ids.length).fill(eos)]), undefined, "int32"); // [B, T]
    const params = which === "policy" ? new Map([...this.start, ...this.valueHead]) : this.reference;
    const { hidden } = forward(this.modelConfig, params, { ids, lora: which === "policy" ? this.lora : undefined }); // [B, T, C]
    // response token j of sample b is predicted at position promptLength − 1 + j; the value
    // before it is read at the same position
    const rowIdx: number[] = [];
    const next: number[] = [];
    samples.forEach((s, b) => {
      for (let j = 0; j < s.ids.length - s.promptLength; j++) {
        rowIdx.push(b * T + s.promptLength - 1 + j);
        next.push(s.ids[s.promptLength + j]!);
      }
    });
    const C = this.modelConfig.n_embd;
    const features = tf.gather(tf.reshape(hidden, [-1, C]), tf.tensor1d(rowIdx, "int32")) as tf.Tensor2D; // [N, C]
    const { logprobs, entropy } = rowTokenStats(params, features, tf.tensor1d(next, "int32"), this.config.temperature); // [N] each
    const values = which === "policy" ? (tf.reshape(valuesOf(params, tf.expandDims(features, 0) as tf.Tensor3D), [-1]) as tf.Tensor1D) : tf.zerosLike(logprobs);
    return { logprobs, values, entropy, features };
  }

  /**
   * The critic's start: before the first update, the value head is fitted to the returns of
   * a rollout of its own (value-warmup.ts). Fitted on the rollout it then scores, it would
   * nearly memorise each sequence's score and take that signal out of the advantages.
   */
  async warmUpValueHead(prompts: number[][], score: Scorer): Promise<void> {
    const { samples, rewards, features } = await this.rollout(prompts, score, { seedOffset: 50_000, withFeatures: true });
    this.warmedUp = true;
    if (!samples.length || !features) return;
    const targets = Float64Array.from(rewards.flatMap((r) => Array.from(discountedReturns(r, this.config.gamma))));
    const sequence = Float64Array.from(rewards.flatMap((r, i) => Array.from(r, () => i)));
    const { w, b } = ridgeFitCV(features, targets, this.modelConfig.n_embd, sequence);
    tf.tidy(() => {
      this.valueHead.get(VALUE_HEAD_W)!.assign(tf.tensor2d(Float32Array.from(w), [1, w.length]));
      this.valueHead.get(VALUE_HEAD_B)!.assign(tf.tensor1d([b]));
    });
  }

  /** Steps 1–4: a batch of samples with advantages and returns, and the scores. */
  async rollout(
    prompts: number[][],
    score: Scorer,
    opts: { seedOffset?: number; withFeatures?: boolean } = {},
  ): Promise<{ samples: Sample[]; scores: number[]; raw: number[]; kl: number; entropy: number; rewards: Float64Array[]; features: Float32Array | null }> {
    const eos = this.modelConfig.eos_token_id;
    const sampled = await sample(this.modelConfig, this.start, prompts, {
      maxNewTokens: this.config.maxNewTokens,
      temperature: this.config.temperature,
      eos,
      seed: this.config.seed * 100_003 + this.iteration + (opts.seedOffset ?? 0),
      lora: this.lora,
    });
    const empty = new Float64Array();
    const samples: Sample[] = sampled.prompts.map((p, i) => ({
      ids: [...p, ...sampled.tokens[i]!],
      promptLength: p.length,
      finished: sampled.finished[i]!,
      samplerLogprobs: Float64Array.from(sampled.logprobs[i]!),
      logprobs: empty, refLogprobs: empty, values: empty, advantages: empty, returns: empty,
    }));
    if (samples.length === 0) return { samples, scores: [], raw: [], kl: 0, entropy: 0, rewards: [], features: null };

    // 2. scores: the reward model reads finished responses (without their eos, which it appends)
    const done = samples.filter((s) => s.finished);
    const raw = done.length ? await score(done.map((s) => s.ids.slice(0, s.promptLength)), done.map((s) => s.ids.slice(s.promptLength, -1))) : [];
    if (raw.some((x) => !Number.isFinite(x))) throw new Error("the scorer returned a score that is not a finite number");
    const scores = episodeScores(samples.map((s) => s.finished), raw, { shift: this.config.rewardShift, scale: this.config.rewardScale, missingEosPenalty: this.config.missingEosPenalty });

    const [policy, reference] = (["policy", "reference"] as const).map((which) => {
      const e = tf.tidy(() => this.evaluate(samples, which));
      const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
      const out = { logprobs: read(e.logprobs), values: read(e.values), entropy: read(e.entropy), features: which === "policy" && opts.withFeatures ? read(e.features) : null };
      tf.dispose(Object.values(e));
      return out;
    });
    let offset = 0;
    let kl = 0;
    const rewards: Float64Array[] = [];
    for (const s of samples) {
      const n = s.ids.length - s.promptLength;
      s.logprobs = Float64Array.from(policy!.logprobs.subarray(offset, offset + n));
      s.refLogprobs = Float64Array.from(reference!.logprobs.subarray(offset, offset + n));
      s.values = Float64Array.from(policy!.values.subarray(offset, offset + n));
      for (let t = 0; t < n; t++) kl += s.logprobs[t]! - s.refLogprobs[t]!;
      offset += n;
    }
    samples.forEach((s, i) => rewards.push(tokenRewards(s.logprobs, s.refLogprobs, scores[i]!, this.kl.beta)));

    const advantages: Float64Array[] = [];
    samples.forEach((s, i) => {
      const { advantages: a, returns } = gae(rewards[i]!, s.values, this.config.gamma, this.config.lambda);
      s.returns = returns;
      advantages.push(a);
    });
    whiten(advantages).forEach((a, i) => (samples[i]!.advantages = a));
    const tokens = policy!.entropy.length;
    const entropy = tokens ? policy!.entropy.reduce((a, e) => a + e, 0) / tokens : 0;
    return { samples, scores, raw, kl: kl / samples.length, entropy, rewards, features: policy!.features };
  }

  /** Steps 1–6: one PPO iteration on these prompts. */
  async step(prompts: number[][], score: Scorer): Promise<PpoMetrics> {
    this.iteration++;
    if (!this.warmedUp) await this.warmUpValueHead(prompts, score);
    const { samples, scores, raw, kl, entropy } = await this.rollout(prompts, score);
    let approxKl = 0, clipFrac = 0, pgLoss = 0, vLoss = 0, updates = 0;
    this.minibatchLog = [];
    const vars = this.trainable();
    for (let epoch = 0; epoch < this.config.ppoEpochs && samples.length; epoch++) {
      const order = samples.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(this.rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let i = 0; i < order.length; i += this.config.miniBatch) {
        const mb = order.slice(i, i + this.config.miniBatch).map((k) => samples[k]!);
        const cat = (f: (s: Sample) => Float64Array) => tf.tensor1d(Float32Array.from(mb.flatMap((s) => Array.from(f(s)))));
        let parts: number[] = [];
        const { value, grads } = tf.variableGrads(() => {
          const { logprobs, values } = this.evaluate(mb, "policy");
          const l = ppoLosses(
            { logprobs, values, oldLogprobs: cat((s) => s.logprobs), oldValues: cat((s) => s.values), advantages: cat((s) => s.advantages), returns: cat((s) => s.returns) },
            this.config,
          );
          parts = [l.approxKl, l.clipFrac, l.pgLoss, l.vLoss].map((t) => t.dataSync()[0]!);
          return l.loss;
        }, vars);
        tf.tidy(() => {
          const clipped = clipByGlobalNorm(vars.map((v) => grads[v.name]!), this.config.maxGradNorm);
          this.optimizer.applyGradients(Object.fromEntries(vars.map((v, k) => [v.name, clipped[k]!])));
        });
        tf.dispose([value, ...Object.values(grads)]);
        this.minibatchLog.push({ approxKl: parts[0]!, clipFrac: parts[1]! });
        approxKl += parts[0]!;
        clipFrac += parts[1]!;
        pgLoss += parts[2]!;
        vLoss += parts[3]!;
        updates++;
        await new Promise((r) => setImmediate(r));
      }
    }
    const beta = this.kl.beta;
    this.kl.update(kl, samples.length);
    const u = Math.max(1, updates);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : 0);
    return {
      "env/reward_mean": mean(scores),
      "env/reward_raw_mean": mean(raw),
      "env/finished": mean(samples.map((s) => (s.finished ? 1 : 0))),
      "objective/kl": kl,
      "objective/kl_coef": beta,
      "policy/entropy": entropy,
      "policy/approxkl": approxKl / u,
      "policy/clipfrac": clipFrac / u,
      "loss/policy": pgLoss / u,
      "loss/value": vLoss / u,
      "value/explained_variance": explainedVariance(samples),
      "response/length": mean(samples.map((s) => s.ids.length - s.promptLength)),
    };
  }

  /** Frees the optimiser and the value head (owned by the trainer); start, reference and adapter belong to the caller. */
  dispose(): void {
    this.optimizer.dispose();
    for (const v of this.valueHead.values()) v.dispose();
    this.valueHead.clear();
  }
}

/** 1 − Var(R − V) / Var(R) over every response token: how much of the returns the critic explains (cleanrl). */
function explainedVariance(samples: Sample[]): number {
  const r = samples.flatMap((s) => Array.from(s.returns));
  const v = samples.flatMap((s) => Array.from(s.values));
  if (r.length < 2) return 0;
  const variance = (xs: number[]) => {
    const m = xs.reduce((a, x) => a + x, 0) / xs.length;
    return xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length;
  };
  const vr = variance(r);
  return vr === 0 ? 0 : 1 - variance(r.map((x, i) => x - v[i]!)) / vr;
}
