// Global-norm gradient clipping (Pascanu et al. 2013; TRL's max_grad_norm):
//     g ← g · min(1, c / ‖g‖),  ‖g‖ the norm of every gradient together,
// so a rare huge step keeps its direction and loses only its length. Call inside tf.tidy.
import * as tf from "@tensorflow/tfjs-core";

export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  return grads.map((g) => tf.mul(g, scale));
}
