import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { smallConfig } from "@/trainer/model/config";
import { disposeCache, forward, initParams, lmLogits, type Params } from "@/trainer/model/gpt2";
import { referenceLogits, type Weights } from "./reference-gpt2";
import { backendReady } from "./tf-backend";

const config = smallConfig({ vocab_size: 61, n_positions: 16, n_embd: 24, n_layer: 2, n_head: 3, bos_token_id: 60, eos_token_id: 60 });

async function weightsOf(params: Params): Promise<Weights> {
  const w: Weights = new Map();
  for (const [name, v] of params) w.set(name, (await v.data()) as Float32Array);
  return w;
}

/** Random non-trivial parameters: GPT-2's init makes biases 0 and gains 1, which hides bugs. */
function randomise(params: Params): void {
  let seed = 100;
  for (const v of params.values()) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.1, "float32", seed++))));
}

describe("initialisation", () => {
  it("repeats for every seed, 0 included (tfjs reads a seed of 0 as none)", async () => {
    await backendReady;
    const a = initParams(config, 0), b = initParams(config, 0), c = initParams(config, 1);
    const first = (p: Params) => Array.from(p.get("transformer.wte.weight")!.dataSync().slice(0, 8));
    expect(first(a)).toEqual(first(b));
    expect(first(a)).not.toEqual(first(c));
  });
});

describe("GPT-2 forward", () => {
  let params: Params;
  beforeAll(async () => {
    await backendReady;
    params = initParams(config, 1);
    randomise(params);
  });

  it("equals the plain reference implementation to 1e-4", async () => {
    const seqs = [[1, 5, 9, 33, 60, 2, 7], [4, 4, 4, 10, 11, 12, 13]];
    const logits = tf.tidy(() => lmLogits(params, forward(config, params, { ids: tf.tensor2d(seqs, undefined, "int32") }).hidden));
    const fast = (await logits.array()) as number[][];
    logits.dispose();
    const w = await weightsOf(params);
    let worst = 0;
    seqs.forEach((ids, b) => {
      const ref = referenceLogits(config, w, ids);
      ref.forEach((row, t) => row.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - fast[b * ids.length + t]![k]!)))));
    });
    expect(worst).toBeLessThan(1e-4);
  });

  it("never lets a future token change an earlier logit", async () => {
    const a = [3, 1, 4, 1, 5, 9, 2, 6];
    const b = [...a.slice(0, 5), 50, 51, 52];
    const out = tf.tidy(() => lmLogits(params, forward(config, params, { ids: tf.tensor2d([a, b], undefined, "int32") }).hidden));
    const rows = (await out.array()) as number[][];
    out.dispose();
    for (let t = 0; t < 5; t++) for (let k = 0; k < config.vocab_size; k++) expect(rows[8 + t]![k]).toBeCloseTo(rows[t]![k]!, 5);
    expect(Math.abs(rows[8 + 5]![0]! - rows[5]![0]!)).toBeGreaterThan(1e-6);
  });

  it("gives the same logits step by step with the KV cache as in one pass", async () => {
    const ids = [7, 8, 9, 10, 11, 12];
    const full = tf.tidy(() => lmLogits(params, forward(config, params, { ids: tf.tensor2d([ids], undefined, "int32") }).hidden));
    const fullRows = (await full.array()) as number[][];
    full.dispose();
    let cache = forward(config, params, { ids: tf.tensor2d([ids.slice(0, 3)], undefined, "int32") });
    for (let t = 3; t < ids.length; t++) {
      const next = forward(config, params, { ids: tf.tensor2d([[ids[t]!]], undefined, "int32"), past: cache.present });
      const row = tf.tidy(() => lmLogits(params, next.hidden));
      const got = ((await row.array()) as number[][])[0]!;
      row.dispose();
      for (let k = 0; k < config.vocab_size; k++) expect(got[k]).toBeCloseTo(fullRows[t]![k]!, 4);
      cache.hidden.dispose();
      disposeCache(cache.present);
      cache = next;
    }
    cache.hidden.dispose();
    disposeCache(cache.present);
  });
});
