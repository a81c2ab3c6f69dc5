import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { smallConfig } from "@/trainer/model/config";
import { disposeCache, forward, initParams, lmLogits, tokenLogProbs, type Params } from "@/trainer/model/gpt2";
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

describe("GPT-2 gradients", () => {
  it("match finite differences through embeddings, attention, MLP and LayerNorm", async () => {
    await backendReady;
    const c = smallConfig({ vocab_size: 23, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2, bos_token_id: 22, eos_token_id: 22 });
    const params = initParams(c, 4);
    let seed = 40;
    for (const v of params.values()) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, "float32", seed++))));
    const ids = tf.tensor2d([[1, 5, 9, 3, 7], [2, 2, 8, 11, 4]], undefined, "int32");
    const loss = () => tf.neg(tf.sum(tokenLogProbs(params, forward(c, params, { ids }).hidden, ids))) as tf.Scalar;
    const probes: [string, number][] = [
      ["transformer.wte.weight", 5 * 8 + 3], // an embedding row used by a token (and by the tied head)
      ["transformer.wpe.weight", 2 * 8 + 1],
      ["transformer.h.0.attn.c_attn.weight", 6 * 24 + 10], // a k column
      ["transformer.h.0.mlp.c_fc.weight", 3 * 32 + 17],
      ["transformer.h.0.ln_1.weight", 6],
    ];
    const { grads } = tf.variableGrads(loss, probes.map(([n]) => params.get(n)!));
    for (const [name, i] of probes) {
      const v = params.get(name)!;
      const base = v.dataSync().slice();
      const at = (delta: number) => {
        const moved = base.slice();
        moved[i]! += delta;
        v.assign(tf.tensor(moved, v.shape));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      const h = 1e-2;
      const numeric = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(base, v.shape));
      const analytic = grads[v.name]!.dataSync()[i]!;
      expect(Math.abs(analytic - numeric), `${name}[${i}]: ${analytic} vs ${numeric}`).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    }
  });
});
