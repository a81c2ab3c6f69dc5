// A toy base policy for PPO tests: a fresh GPT-2's tied embedding (std 0.02) keeps every
// logit within about ±0.6, a policy no adapter could sharpen, and end-of-text is sampled
// one time in 257, so no response would ever finish. Scaling the embedding gives logits a
// trained model's range; a direction e, removed from every other token's row, carried by
// ln_f's bias and given to end-of-text's row, makes end-of-text likely (a response of a few tokens usually ends).
import * as tf from "@tensorflow/tfjs-core";
import type { GPT2Config } from "@/trainer/model/config";
import { initParams, type Params } from "@/trainer/model/gpt2";

export function toyBase(config: GPT2Config, seed: number, eosWeight = 1, scale = 6): Params {
  const base = initParams(config, seed);
  const C = config.n_embd;
  const e = tf.tidy(() => tf.oneHot(tf.tensor1d([0], "int32"), C).reshape([C]));
  const wte = base.get("transformer.wte.weight")!;
  wte.assign(
    tf.tidy(() => {
      const scaled = tf.mul(wte, scale);
      const along = tf.matMul(tf.matMul(scaled, tf.reshape(e, [C, 1])), tf.reshape(e, [1, C])); // each row's part along e
      const rows = tf.sub(scaled, along);
      const isEos = tf.reshape(tf.oneHot(tf.tensor1d([config.eos_token_id], "int32"), config.vocab_size), [config.vocab_size, 1]);
      return tf.add(tf.mul(rows, tf.sub(1, isEos)), tf.mul(isEos, tf.mul(tf.reshape(e, [1, C]), eosWeight)));
    }),
  );
  base.get("transformer.ln_f.bias")!.assign(tf.tidy(() => tf.mul(e, 3)));
  e.dispose();
  return base;
}
