// Rewards of token sequences (prompt + response + eos) under a reward model: the scalar head
// at each sequence's last non-padding token (heads.ts, scoreIndex), sequences cut from the left to the context, in batches.
import * as tf from "@tensorflow/tfjs-core";
import type { GPT2Config } from "../model/config";
import { forward, type Params } from "../model/gpt2";
import { rewardAt, scoreIndex } from "../model/heads";

export async function rewardsOf(config: GPT2Config, params: Params, sequences: number[][], batch = 16): Promise<number[]> {
  const out: number[] = [];
  const seqs = sequences.map((s) => s.slice(-config.n_positions));
  for (let i = 0; i < seqs.length; i += batch) {
    const chunk = seqs.slice(i, i + batch);
    const T = Math.max(...chunk.map((s) => s.length));
    const r = tf.tidy(() => {
      const ids = tf.tensor2d(chunk.map((s) => [...s, ...new Array<number>(T - s.length).fill(config.eos_token_id)]), undefined, "int32");
      const { hidden } = forward(config, params, { ids });
      return rewardAt(params, hidden, tf.tensor1d(chunk.map((s) => scoreIndex(s, config.eos_token_id)), "int32"));
    });
    out.push(...(await r.data()));
    r.dispose();
  }
  return out;
}
