// Scalar heads on the trunk's hidden states, named as in the libraries that read them:
// - reward: `score.weight` [1, C], no bias, read at each sequence's last real token, as
//   Hugging Face's GPT2ForSequenceClassification (num_labels = 1) does, so an exported
//   reward model loads there; the InstructGPT reward model (Ouyang et al. 2022, §3.5).
// - value: `v_head.summary.weight` [1, C] and `.bias` [1], per token, as TRL's
//   AutoModelForCausalLMWithValueHead names it; PPO's critic (Stiennon et al. 2020).
import * as tf from "@tensorflow/tfjs-core";
import { type Params, param } from "./gpt2";
import { REWARD_HEAD, VALUE_HEAD_B, VALUE_HEAD_W } from "./layout";
import { tfSeed } from "./seed";

// the names are in layout.ts, which has no tfjs
export { REWARD_HEAD, VALUE_HEAD_B, VALUE_HEAD_W };

export function initRewardHead(params: Params, nEmbd: number, seed = 0): void {
  const w = tf.randomNormal([1, nEmbd], 0, 1 / Math.sqrt(nEmbd + 1), "float32", tfSeed(seed, 2));
  params.set(REWARD_HEAD, tf.variable(w, true));
  w.dispose();
}

export function initValueHead(params: Params, nEmbd: number): void {
  params.set(VALUE_HEAD_W, tf.tidy(() => tf.variable(tf.zeros([1, nEmbd]), true)));
  params.set(VALUE_HEAD_B, tf.tidy(() => tf.variable(tf.zeros([1]), true)));
}

/**
 * Where a sequence's reward is read: its last token that is not padding, as Hugging Face's
 * GPT2ForSequenceClassification reads it (the last index whose id differs from
 * config.pad_token_id; Arbiter exports pad_token_id = eos_token_id). A sequence is
 * prompt + response + end-of-text, so the score sits on the response's last token (the
 * prompt's last, for an empty response), whatever padding or batch-mates surround it.
 */
export function scoreIndex(seq: ArrayLike<number>, pad: number): number {
  for (let i = seq.length - 1; i >= 0; i--) if (seq[i] !== pad) return i;
  return 0;
}

/** Rewards [B] from hidden [B, T, C], read at lastIndex[b] (see scoreIndex). */
export function rewardAt(params: Params, hidden: tf.Tensor3D, lastIndex: tf.Tensor1D): tf.Tensor1D {
  const [, T] = hidden.shape;
  const pick = tf.expandDims(tf.oneHot(tf.cast(lastIndex, "int32"), T), 2); // [B, T, 1]
  const last = tf.sum(tf.mul(hidden, pick), 1); // [B, C]
  return tf.reshape(tf.matMul(last, param(params, REWARD_HEAD), false, true), [-1]);
}

/** Values [B, T] from hidden [B, T, C]. */
export function valuesOf(params: Params, hidden: tf.Tensor3D): tf.Tensor2D {
  const [B, T, C] = hidden.shape;
  const v = tf.add(tf.matMul(tf.reshape(hidden, [B * T, C]), param(params, VALUE_HEAD_W), false, true), param(params, VALUE_HEAD_B));
  return tf.reshape(v, [B, T]);
}
