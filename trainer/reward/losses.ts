// Reward-model losses over scalar rewards r (one per response sequence). Same models as
// lib/bt, so the reward model and the leaderboard read ties and rankings alike:
// - Bradley–Terry (Christiano et al. 2017; Ouyang et al. 2022, eq. 1):
//       −log σ(r_w − r_l − m),  m ≥ 0 a margin from the judgment's strength (Touvron et al.
//       2023, Llama 2 §3.2.2).
// - Davidson (1970) when the project has ties, with d = r_i − r_j and ν = e^{logNu}:
//       P(i ≻ j) = e^{d/2} / (e^{d/2} + e^{−d/2} + ν),  P(tie) = ν / (e^{d/2} + e^{−d/2} + ν);
//   ν → 0 gives back Bradley–Terry.
// - Plackett–Luce for a full ranking i_1 ≻ … ≻ i_k (Zhu, Jordan & Jiao 2023, eq. 3):
//       −log P = Σ_{s<k} [ log Σ_{t≥s} e^{r_{i_t}} − r_{i_s} ].
// Rankings with tie groups go through their pairwise expansion into Davidson, as lib/bt's
// fits do. Every loss is a weighted mean: Σ w·ℓ / Σ w.
import * as tf from "@tensorflow/tfjs-core";

function weightedMean(losses: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(losses, weights)), tf.maximum(tf.sum(weights), 1e-12));
}

/** −log σ(d − m): softplus(−(d − m)), stable for large |d|. */
export function bradleyTerryLoss(rWin: tf.Tensor1D, rLose: tf.Tensor1D, margin: tf.Tensor1D, weight: tf.Tensor1D): tf.Scalar {
  return weightedMean(tf.softplus(tf.neg(tf.sub(tf.sub(rWin, rLose), margin))) as tf.Tensor1D, weight);
}

/** log(e^{d/2} + e^{−d/2} + ν), the Davidson normaliser, by log-sum-exp. */
function davidsonLogZ(d: tf.Tensor1D, logNu: tf.Scalar): tf.Tensor1D {
  const half = tf.mul(d, 0.5);
  const terms = tf.stack([half, tf.neg(half), tf.mul(tf.onesLike(d), logNu)], 1); // [N, 3]
  return tf.logSumExp(terms, 1) as tf.Tensor1D;
}

/** −log P(w ≻ l) under Davidson, with d = r_w − r_l − m. */
export function davidsonWinLoss(rWin: tf.Tensor1D, rLose: tf.Tensor1D, margin: tf.Tensor1D, weight: tf.Tensor1D, logNu: tf.Scalar): tf.Scalar {
  const d = tf.sub(tf.sub(rWin, rLose), margin) as tf.Tensor1D;
  return weightedMean(tf.sub(davidsonLogZ(d, logNu), tf.mul(d, 0.5)) as tf.Tensor1D, weight);
}

/** −log P(a ~ b) under Davidson. */
export function davidsonTieLoss(rA: tf.Tensor1D, rB: tf.Tensor1D, weight: tf.Tensor1D, logNu: tf.Scalar): tf.Scalar {
  const d = tf.sub(rA, rB) as tf.Tensor1D;
  return weightedMean(tf.sub(davidsonLogZ(d, logNu), logNu) as tf.Tensor1D, weight);
}

/** −log PL(ranking) for rewards [N, k], each row ordered best first. */
export function plackettLuceLoss(ranked: tf.Tensor2D, weight: tf.Tensor1D): tf.Scalar {
  const [N, k] = ranked.shape;
  let nll: tf.Tensor1D = tf.zeros([N]);
  for (let s = 0; s < k - 1; s++) {
    const rest = tf.slice(ranked, [0, s], [N, k - s]);
    const chosen = tf.reshape(tf.slice(ranked, [0, s], [N, 1]), [N]);
    nll = tf.add(nll, tf.sub(tf.logSumExp(rest, 1), chosen));
  }
  return weightedMean(nll, weight);
}
