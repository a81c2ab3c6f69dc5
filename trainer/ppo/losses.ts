// PPO's losses over the response tokens of a minibatch (Schulman et al. 2017, eq. 7;
// value clipping as in OpenAI's baselines and TRL), built from named parts as cleanrl does:
//     pgLoss = mean(max(−Â·ρ, −Â·clip(ρ, 1 − ε, 1 + ε))),  ρ = exp(log π − log π_old)
//     vLoss  = ½·mean(max((V − R)², (clip(V, V_old ± ε_v) − R)²))
// with the diagnostics every iteration logs: approximate KL (mean of (ρ − 1) − log ρ,
// Schulman's low-variance estimator) and the fraction of clipped ratios.
import * as tf from "@tensorflow/tfjs-core";

export type PpoBatch = {
  logprobs: tf.Tensor1D; // log π(a_t) under the policy being trained, per token
  oldLogprobs: tf.Tensor1D; // under the policy that sampled the rollout
  advantages: tf.Tensor1D;
  values: tf.Tensor1D;
  oldValues: tf.Tensor1D;
  returns: tf.Tensor1D;
};

export type PpoLosses = { loss: tf.Scalar; pgLoss: tf.Scalar; vLoss: tf.Scalar; approxKl: tf.Scalar; clipFrac: tf.Scalar };

export function ppoLosses(b: PpoBatch, opts: { clip: number; valueClip: number; valueCoef: number }): PpoLosses {
  const logRatio = tf.sub(b.logprobs, b.oldLogprobs);
  const ratio = tf.exp(logRatio);
  const unclipped = tf.mul(tf.neg(b.advantages), ratio);
  const clipped = tf.mul(tf.neg(b.advantages), tf.clipByValue(ratio, 1 - opts.clip, 1 + opts.clip));
  const pgLoss = tf.mean(tf.maximum(unclipped, clipped)) as tf.Scalar;

  const vClipped = tf.add(b.oldValues, tf.clipByValue(tf.sub(b.values, b.oldValues), -opts.valueClip, opts.valueClip));
  const vLoss = tf.mul(0.5, tf.mean(tf.maximum(tf.square(tf.sub(b.values, b.returns)), tf.square(tf.sub(vClipped, b.returns))))) as tf.Scalar;

  const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar;
  const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), opts.clip), "float32")) as tf.Scalar;
  const loss = tf.add(pgLoss, tf.mul(opts.valueCoef, vLoss)) as tf.Scalar;
  return { loss, pgLoss, vLoss, approxKl, clipFrac };
}
