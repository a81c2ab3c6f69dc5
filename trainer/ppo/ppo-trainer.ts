// PPO on a causal LM with a KL penalty to the frozen reference policy (Stiennon et al. 2020;
// Ouyang et al. 2022), the policy being the base model plus a LoRA adapter (Hu et al. 2021)
// and the critic a value head on the policy's trunk. One iteration reads top to bottom as in
// cleanrl and TRL:
//   1. generate responses to a batch of prompts with the current policy
//   2. score them (the reward model, or any scorer)
//   3. per-token rewards: −β·KL to the reference at every token, the score at the last
//   4. advantages by GAE, whitened over the batch; returns as value targets
//   5. PPO epochs over minibatches: clipped policy loss + clipped value loss
//   6. adapt β toward the KL target
import * as tf from "@tensorflow/tfjs-core";
import { mulberry32 } from "@/lib/bt/bootstrap";
import type { GPT2Config } from "../model/config";
import { forward, type Params, tokenLogProbs } from "../model/gpt2";
import { initValueHead, valuesOf } from "../model/heads";
import type { LoraAdapter } from "../model/lora";
import { generate } from "../generate";
import { AdaptiveKl, gae, tokenRewards, whiten } from "./advantages";
import { ppoLosses } from "./losses";

export type PpoConfig = {
  maxNewTokens: number;
  temperature: number;
  ppoEpochs: number;
  miniBatch: number;
  learningRate: number;
  clip: number;
  valueClip: number;
  valueCoef: number;
  gamma: number;
  lambda: number;
  initKl: number;
  targetKl: number;
  klHorizon: number;
  seed: number;
};

export const DEFAULT_PPO: PpoConfig = {
  maxNewTokens: 32,
  temperature: 1,
  ppoEpochs: 4,
  miniBatch: 8,
  learningRate: 1e-3,
  clip: 0.2,
  valueClip: 0.2,
  valueCoef: 0.1,
  gamma: 1,
  lambda: 0.95,
  initKl: 0.05,
  targetKl: 6,
  klHorizon: 10_000,
  seed: 0,
};

export type Scorer = (prompts: number[][], responses: number[][]) => Promise<number[]> | number[];

/** One sampled response with what the update needs, all per response token. */
type Sample = {
  ids: number[]; // prompt + response
  promptLength: number;
  logprobs: Float64Array;
  values: Float64Array;
  advantages: Float64Array;
  returns: Float64Array;
};

export type PpoMetrics = {
  "env/reward_mean": number;
  "objective/kl": number;
  "objective/kl_coef": number;
  "policy/approxkl": number;
  "policy/clipfrac": number;
  "loss/policy": number;
  "loss/value": number;
  "response/length": number;
};

export class PpoTrainer {
  readonly kl: AdaptiveKl;
  private readonly optimizer: tf.Optimizer;
  private iteration = 0;
  private readonly rand: () => number;

  constructor(
    readonly modelConfig: GPT2Config,
    /** the base weights: frozen, and the reference policy (no adapter) */
    readonly base: Params,
    readonly lora: LoraAdapter,
    /** the value head's own parameters (v_head.summary.*) */
    readonly valueHead: Params,
    readonly config: PpoConfig = DEFAULT_PPO,
  ) {
    if (!valueHead.size) initValueHead(valueHead, modelConfig.n_embd);
    this.kl = new AdaptiveKl(config.initKl, config.targetKl, config.klHorizon);
    this.optimizer = tf.train.adam(config.learningRate);
    this.rand = mulberry32(config.seed + 7);
  }

  trainable(): tf.Variable[] {
    return [...this.lora.params.values(), ...this.valueHead.values()];
  }

  /**
   * Log-probabilities of the response tokens under the policy (with adapter) or the
   * reference (without), and the values before each one, as flat tensors over the batch.
   */
  private evaluate(samples: Sample[], withAdapter: boolean): { logprobs: tf.Tensor1D; values: tf.Tensor1D } {
    const T = Math.max(...samples.map((s) => s.ids.length));
    const eos = this.modelConfig.eos_token_id;
    const ids = tf.tensor2d(samples.map((s) => [...s.ids, ...new Array<number>(T - s.ids.length).fill(eos)]), undefined, "int32");
    const params = new Map([...this.base, ...this.valueHead]);
    const { hidden } = forward(this.modelConfig, params, { ids, lora: withAdapter ? this.lora : undefined });
    // response token j of sample b is predicted at position promptLength − 1 + j
    const logpIdx: number[] = [];
    const valueIdx: number[] = [];
    samples.forEach((s, b) => {
      for (let j = 0; j < s.ids.length - s.promptLength; j++) {
        logpIdx.push(b * (T - 1) + s.promptLength - 1 + j);
        valueIdx.push(b * T + s.promptLength - 1 + j);
      }
    });
    const logprobs = tf.gather(tf.reshape(tokenLogProbs(params, hidden, ids), [-1]), tf.tensor1d(logpIdx, "int32")) as tf.Tensor1D;
    const values = tf.gather(tf.reshape(valuesOf(params, hidden), [-1]), tf.tensor1d(valueIdx, "int32")) as tf.Tensor1D;
    return { logprobs, values };
  }

  /** Steps 1–4: a batch of samples with advantages and returns, and the scores. */
  async rollout(prompts: number[][], score: Scorer): Promise<{ samples: Sample[]; scores: number[]; kl: number }> {
    const responses = await generate(this.modelConfig, this.base, prompts, {
      maxNewTokens: this.config.maxNewTokens,
      temperature: this.config.temperature,
      eos: this.modelConfig.eos_token_id,
      seed: this.config.seed * 100_003 + this.iteration,
      lora: this.lora,
    });
    const kept = prompts.map((p, i) => ({ p, r: responses[i]! })).filter((x) => x.r.length > 0);
    const scores = await score(kept.map((x) => x.p), kept.map((x) => x.r));
    const samples: Sample[] = kept.map((x) => ({ ids: [...x.p, ...x.r], promptLength: x.p.length, logprobs: new Float64Array(), values: new Float64Array(), advantages: new Float64Array(), returns: new Float64Array() }));
    const [policy, reference] = [true, false].map((adapter) =>
      tf.tidy(() => {
        const { logprobs, values } = this.evaluate(samples, adapter);
        return { logprobs: logprobs.dataSync(), values: values.dataSync() };
      }),
    );
    let offset = 0;
    let kl = 0;
    const advantages: Float64Array[] = [];
    samples.forEach((s, i) => {
      const n = s.ids.length - s.promptLength;
      s.logprobs = Float64Array.from(policy!.logprobs.subarray(offset, offset + n));
      s.values = Float64Array.from(policy!.values.subarray(offset, offset + n));
      const ref = reference!.logprobs.subarray(offset, offset + n);
      for (let t = 0; t < n; t++) kl += s.logprobs[t]! - ref[t]!;
      const rewards = tokenRewards(s.logprobs, ref, scores[i]!, this.kl.beta);
      const { advantages: a, returns } = gae(rewards, s.values, this.config.gamma, this.config.lambda);
      s.returns = returns;
      advantages.push(a);
      offset += n;
    });
    whiten(advantages).forEach((a, i) => (samples[i]!.advantages = a));
    return { samples, scores, kl: samples.length ? kl / samples.length : 0 };
  }

  /** Steps 1–6: one PPO iteration on these prompts. */
  async step(prompts: number[][], score: Scorer): Promise<PpoMetrics> {
    this.iteration++;
    const { samples, scores, kl } = await this.rollout(prompts, score);
    let approxKl = 0, clipFrac = 0, pgLoss = 0, vLoss = 0, updates = 0;
    const vars = this.trainable();
    for (let epoch = 0; epoch < this.config.ppoEpochs; epoch++) {
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
          const { logprobs, values } = this.evaluate(mb, true);
          const l = ppoLosses(
            { logprobs, values, oldLogprobs: cat((s) => s.logprobs), oldValues: cat((s) => s.values), advantages: cat((s) => s.advantages), returns: cat((s) => s.returns) },
            this.config,
          );
          parts = [l.approxKl, l.clipFrac, l.pgLoss, l.vLoss].map((t) => t.dataSync()[0]!);
          return l.loss;
        }, vars);
        this.optimizer.applyGradients(grads);
        tf.dispose([value, ...Object.values(grads)]);
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
    return {
      "env/reward_mean": scores.length ? scores.reduce((a, s) => a + s, 0) / scores.length : 0,
      "objective/kl": kl,
      "objective/kl_coef": beta,
      "policy/approxkl": approxKl / u,
      "policy/clipfrac": clipFrac / u,
      "loss/policy": pgLoss / u,
      "loss/value": vLoss / u,
      "response/length": samples.length ? samples.reduce((a, s) => a + s.ids.length - s.promptLength, 0) / samples.length : 0,
    };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
