// The sampling decoder (trainer/model/decoder.ts) rearranges GPT-2 for one token at a time:
// folded LayerNorms, merged LoRA, scaled queries, a cache written in place. None of that may
// change what the model computes, so sampling's log-probs are checked against forward()
// over the whole sampled sequence, and the in-place cache against plain concatenation.
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sample } from "@/trainer/generate";
import { type GPT2Config, smallConfig } from "@/trainer/model/config";
import { Decoder, fromForwardCache } from "@/trainer/model/decoder";
import { forward, initParams, tokenLogProbs } from "@/trainer/model/gpt2";
import { GROW } from "@/trainer/model/kv-buffer";
import { LoraAdapter } from "@/trainer/model/lora";
import { backendReady } from "./tf-backend";

beforeAll(async () => void (await backendReady));
const config = smallConfig({ n_positions: 96, n_embd: 32, n_layer: 2, n_head: 4 });
const EOS = config.eos_token_id;

/** log p(token) of every sampled token, recomputed by forward() over prompt + sample. */
function forwardLogprobs(params: ReturnType<typeof initParams>, prompts: number[][], tokens: number[][], temperature: number, lora?: LoraAdapter, c: GPT2Config = config): number[][] {
  const EOS = c.eos_token_id;
  const L = Math.max(...prompts.map((p) => p.length));
  const N = Math.max(...tokens.map((t) => t.length));
  const rows = prompts.map((p, b) => [...new Array<number>(L - p.length).fill(EOS), ...p, ...tokens[b]!, ...new Array<number>(N - tokens[b]!.length).fill(EOS)]);
  const mask = prompts.map((p) => [...new Array<number>(L - p.length).fill(0), ...new Array<number>(p.length + N).fill(1)]);
  const positions = mask.map((m) => {
    let i = 0;
    return m.map((v) => (v ? i++ : 0));
  });
  const lp = tf.tidy(() => {
    const ids = tf.tensor2d(rows, undefined, "int32");
    const { hidden } = forward(c, params, { ids, attentionMask: tf.tensor2d(mask, undefined, "int32"), positionIds: tf.tensor2d(positions, undefined, "int32"), lora });
    return tokenLogProbs(params, hidden, ids, temperature);
  });
  const all = lp.arraySync();
  lp.dispose();
  return tokens.map((t, b) => t.map((_, j) => all[b]![L + j - 1]!));
}

// Each test runs on the fused wasm kernels (tf/decode-kernels.ts) and on tfjs's own, the
// path other backends, head sizes not a multiple of 4 and ARBITER_DECODE_KERNELS=tfjs take.
describe.each([
  ["fused wasm kernels", undefined],
  ["tfjs kernels", "tfjs"],
])("sampling decoder, %s", (_, kernels) => {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.ARBITER_DECODE_KERNELS;
    if (kernels) process.env.ARBITER_DECODE_KERNELS = kernels;
    else delete process.env.ARBITER_DECODE_KERNELS;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.ARBITER_DECODE_KERNELS;
    else process.env.ARBITER_DECODE_KERNELS = saved;
  });

  // prompts of different lengths (left padding), one of a single token; more new tokens
  // than GROW, so the in-place cache grows at least twice
  const prompts = [[5, 9, 12, 40, 41, 42, 7], [3], [200, 100, 50]];
  const maxNewTokens = 2 * GROW + 5;

  it.each([
    ["the base model", false],
    ["a LoRA adapter", true],
  ])("gives sampled tokens the log-probs forward() gives them, with %s", async (_, withLora) => {
    const params = initParams(config, 3);
    const lora = withLora ? new LoraAdapter({ r: 2, alpha: 4, targets: ["c_attn", "c_proj", "c_fc"] }, config, 5) : undefined;
    for (const [name, v] of lora?.params ?? []) if (name.endsWith("lora_B")) v.assign(tf.randomNormal(v.shape, 0, 0.3, "float32", 6));
    const before = tf.memory().numTensors;
    const s = await sample(config, params, prompts, { maxNewTokens, temperature: 0.7, eos: EOS, seed: 11, lora });
    expect(tf.memory().numTensors).toBe(before); // the decoder and its cache are disposed
    expect(Math.max(...s.tokens.map((t) => t.length))).toBeGreaterThan(2 * GROW);
    const expected = forwardLogprobs(params, prompts, s.tokens, 0.7, lora);
    s.logprobs.forEach((row, b) => row.forEach((lp, j) => expect(lp).toBeCloseTo(expected[b]![j]!, 4)));
    tf.dispose([...params.values()]);
    lora?.dispose();
  });

  // One row and one head: the attention products have a batch of one, which XNNPACK runs
  // on a packed copy of the cache (kv-buffer.ts), so this is the case in-place writes get
  // wrong. Prompts of one token (an empty cache) and a small vocabulary, so rows end early.
  it.each([
    ["one row, one head", smallConfig({ n_positions: 64, n_embd: 16, n_layer: 2, n_head: 1 }), [[4, 5, 6]]],
    ["one-token prompts", config, [[7], [8], [9]]],
    ["heads of 6 (not a multiple of the SIMD width)", smallConfig({ n_positions: 64, n_embd: 24, n_layer: 2, n_head: 4 }), [[4, 5, 6], [7]]],
    ["rows that end early", smallConfig({ n_positions: 64, n_embd: 16, n_layer: 1, n_head: 2, vocab_size: 6, bos_token_id: 5, eos_token_id: 5 }), [[1, 2], [3], [0, 1, 2, 3]]],
  ])("matches forward() with %s", async (_, c, ps) => {
    const params = initParams(c, 7);
    const s = await sample(c, params, ps, { maxNewTokens: 2 * GROW + 3, temperature: 1, eos: c.eos_token_id, seed: 5 });
    if (c.vocab_size === 6) expect(s.finished.some(Boolean)).toBe(true);
    const expected = forwardLogprobs(params, ps, s.tokens, 1, undefined, c);
    s.logprobs.forEach((row, b) => row.forEach((lp, j) => expect(lp).toBeCloseTo(expected[b]![j]!, 4)));
    tf.dispose([...params.values()]);
  });

  it("frees everything when a prompt cannot be run", async () => {
    const params = initParams(config, 8);
    const lora = new LoraAdapter({ r: 2, alpha: 4, targets: ["c_attn"] }, config, 5);
    const before = tf.memory().numTensors;
    // an id outside the vocabulary in a column the prefill reads
    await expect(sample(config, params, [[config.vocab_size + 3, 1, 2]], { maxNewTokens: 4, eos: EOS, lora })).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...params.values()]);
    lora.dispose();
  });

  it("computes the same logits with the cache written in place as with concatenation", () => {
    const params = initParams(config, 4);
    const decoder = new Decoder(config, params);
    const B = 2, L = 5;
    const present = tf.tidy(() => forward(config, params, { ids: tf.tensor2d([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], undefined, "int32") }).present);
    const inPlace = fromForwardCache(present);
    const concat = fromForwardCache(present, { inPlace: false });
    for (const { k, v } of present) tf.dispose([k, v]);
    for (let step = 0; step < GROW + 3; step++) {
      const logits = [inPlace, concat].map((cache) => {
        const S = cache.reserve();
        const BH = B * config.n_head;
        const bias = Array.from({ length: BH * S }, (_, i) => (i % S <= L + step ? 0 : -1e9));
        const out = tf.tidy(() => decoder.step([step % 7, 3], [L + step, L + step], tf.tensor3d(bias, [BH, 1, S]), cache));
        const data = out.dataSync();
        out.dispose();
        return data;
      });
      logits[0]!.forEach((x, i) => expect(x).toBeCloseTo(logits[1]![i]!, 4));
    }
    inPlace.dispose();
    concat.dispose();
    decoder.dispose();
    tf.dispose([...params.values()]);
  });
});
