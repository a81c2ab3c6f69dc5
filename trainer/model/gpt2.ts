// A GPT-2 decoder (Radford et al. 2019) in plain tfjs: token + position embeddings,
// pre-LayerNorm blocks of causal self-attention and a GELU MLP, final LayerNorm, LM head
// tied to the token embedding. Parameters are named and laid out as in Hugging Face's
// GPT2LMHeadModel (Conv1D weights are [in, out], so y = x·W + b), so checkpoints move
// between Arbiter and `transformers` unchanged. Shape comments: B batch, T new tokens,
// S = past + T attended positions, C = n_embd, H heads, D = C / H.
import * as tf from "@tensorflow/tfjs-core";
import type { GPT2Config } from "./config";
import { P, parameterShapes } from "./layout";
import type { LoraAdapter } from "./lora";
import { tfSeed } from "./seed";

// Keyed by the Hugging Face name. tfjs variable names are global and several models live at
// once (policy, reference, reward model), so variables keep their generated names.
export type Params = Map<string, tf.Variable>;

/** Cached keys and values per layer, each [B, H, S, D]. */
export type KVCache = { k: tf.Tensor4D; v: tf.Tensor4D }[];

export type ForwardInput = {
  ids: tf.Tensor2D; // [B, T] int32
  /** [B, S]: 1 for real tokens, 0 for padding (left padding in batched generation) */
  attentionMask?: tf.Tensor2D;
  /** [B, T]; default past length + 0..T-1 */
  positionIds?: tf.Tensor2D;
  past?: KVCache;
  lora?: LoraAdapter;
};

export type ForwardOutput = { hidden: tf.Tensor3D; present: KVCache };

// The names and shapes live in a module without tfjs, so the web app can check a folder against them.
export { P, parameterShapes } from "./layout";

/**
 * GPT-2's initialisation: weights N(0, 0.02), residual projections scaled by 1/√(2·n_layer)
 * (Radford et al. 2019, §2.3), biases 0, LayerNorm gains 1.
 */
export function initParams(c: GPT2Config, seed = 0): Params {
  const params: Params = new Map();
  let i = 0;
  for (const [name, shape] of parameterShapes(c)) {
    const value = tf.tidy(() => {
      if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name.endsWith("ln_f.weight")) return tf.ones(shape);
      if (name.endsWith(".bias")) return tf.zeros(shape);
      const std = name.endsWith("c_proj.weight") ? 0.02 / Math.sqrt(2 * c.n_layer) : 0.02;
      return tf.randomNormal(shape, 0, std, "float32", tfSeed(seed, 0, i++));
    });
    params.set(name, tf.variable(value, true));
    value.dispose();
  }
  return params;
}

export function param(params: Params, name: string): tf.Variable {
  const p = params.get(name);
  if (!p) throw new Error(`missing parameter ${name}`);
  return p;
}

/** LayerNorm over the last axis (Ba et al. 2016). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), weight), bias);
}

/**
 * GPT-2's tanh approximation of GELU (Hendrycks & Gimpel 2016), "gelu_new":
 *     0.5·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³),
 * computed as x·σ(2u), the same function (0.5·(1 + tanh(u)) = σ(2u)), because on wasm
 * tanh and pow run 10–20× slower than sigmoid and multiplies.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  // 2u = x·(a + b·x²), a = 2√(2/π), b = 0.044715·a: four products where the formula as
  // written takes six (each a kernel call, which is what small batches pay for)
  const a = 2 * Math.sqrt(2 / Math.PI);
  const twoU = tf.mul(x, tf.add(tf.mul(tf.mul(x, x), 0.044715 * a), a));
  return tf.mul(x, tf.sigmoid(twoU));
}

/** Conv1D of GPT-2: x [N, in] · W [in, out] + b, plus the LoRA update when one targets it. */
function linear(params: Params, name: string, x: tf.Tensor2D, lora?: LoraAdapter): tf.Tensor2D {
  const y = tf.add(tf.matMul(x, param(params, `${name}.weight`)), param(params, `${name}.bias`)) as tf.Tensor2D;
  return lora ? lora.apply(name, x, y) : y;
}

/** One of q, k, v (j = 0, 1, 2): x · W[:, jC:(j+1)C] + b[jC:(j+1)C], with c_attn's LoRA update. */
function attnInput(params: Params, name: string, x: tf.Tensor2D, j: number, C: number, lora?: LoraAdapter): tf.Tensor2D {
  const W = tf.slice(param(params, `${name}.weight`), [0, j * C], [C, C]);
  const b = tf.slice(param(params, `${name}.bias`), [j * C], [C]);
  const y = tf.add(tf.matMul(x, W), b) as tf.Tensor2D;
  return lora ? lora.applyColumns(name, x, y, j * C, C) : y;
}

/** Additive attention bias [B, 1, T, S]: 0 where a query may look, −1e9 where not. */
function attentionBias(B: number, T: number, S: number, mask?: tf.Tensor2D): tf.Tensor4D {
  const past = S - T;
  // causal: query t (at absolute position past + t) sees keys 0..past + t
  const q = tf.reshape(tf.add(tf.range(0, T, 1, "int32"), past), [T, 1]);
  const k = tf.reshape(tf.range(0, S, 1, "int32"), [1, S]);
  const causal = tf.lessEqual(k, q); // [T, S]
  let allowed: tf.Tensor = tf.reshape(causal, [1, 1, T, S]);
  if (mask) allowed = tf.logicalAnd(allowed, tf.reshape(tf.cast(mask, "bool"), [B, 1, 1, S]));
  return tf.mul(tf.sub(1, tf.cast(allowed, "float32")), -1e9) as tf.Tensor4D;
}

/** Splits [B, T, C] into heads [B, H, T, D]. */
function heads(x: tf.Tensor, B: number, T: number, H: number, D: number): tf.Tensor4D {
  // one position: [B, 1, H, D] and [B, H, 1, D] are the same memory, so no transpose
  if (T === 1) return tf.reshape(x, [B, H, 1, D]);
  return tf.transpose(tf.reshape(x, [B, T, H, D]), [0, 2, 1, 3]);
}

/** softmax(q·kᵀ/√D + bias)·v for q [B, H, T, D], k and v [B, H, S, D]. */
function attention(q: tf.Tensor4D, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor4D): tf.Tensor4D {
  const D = q.shape[3];
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), bias); // [B, H, T, S]
  return tf.matMul(tf.softmax(scores), v) as tf.Tensor4D; // [B, H, T, D]
}

/** Runs the trunk: final hidden states [B, T, C] and the updated key/value cache. */
export function forward(c: GPT2Config, params: Params, input: ForwardInput): ForwardOutput {
  const { ids, past, lora } = input;
  const [B, T] = ids.shape;
  const C = c.n_embd;
  const H = c.n_head;
  const D = C / H;
  const pastLen = past?.[0]?.k.shape[2] ?? 0;
  const S = pastLen + T;
  if (S > c.n_positions) throw new Error(`sequence of ${S} tokens is longer than n_positions ${c.n_positions}`);

  const positions = input.positionIds ?? tf.tile(tf.reshape(tf.range(pastLen, S, 1, "int32"), [1, T]), [B, 1]);
  let x = tf.add(
    tf.gather(param(params, `${P}wte.weight`), ids), // [B, T, C]
    tf.gather(param(params, `${P}wpe.weight`), positions), // [B, T, C]
  ) as tf.Tensor3D;
  const bias = attentionBias(B, T, S, input.attentionMask); // [B|1, 1, T, S]
  const present: KVCache = [];

  for (let i = 0; i < c.n_layer; i++) {
    const h = `${P}h.${i}.`;
    // attention
    const a = layerNorm(x, param(params, `${h}ln_1.weight`), param(params, `${h}ln_1.bias`), c.layer_norm_epsilon);
    // c_attn's columns are [q | k | v]; three products on weight slices instead of one product
    // split afterwards, because splitting the [B·T, 3C] activations is slow on wasm
    const a2 = tf.reshape(a, [B * T, C]) as tf.Tensor2D;
    const qkv = [0, 1, 2].map((j) => attnInput(params, `${h}attn.c_attn`, a2, j, C, lora));
    const [q, kNew, vNew] = qkv.map((x) => heads(x, B, T, H, D)); // [B, H, T, D]
    const k = past ? tf.concat([past[i]!.k, kNew!], 2) : kNew!; // [B, H, S, D]
    const v = past ? tf.concat([past[i]!.v, vNew!], 2) : vNew!;
    present.push({ k: k as tf.Tensor4D, v: v as tf.Tensor4D });
    const y = attention(q!, k, v, bias); // [B, H, T, D]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]);
    x = tf.add(x, tf.reshape(linear(params, `${h}attn.c_proj`, merged as tf.Tensor2D, lora), [B, T, C]));
    // MLP
    const m = layerNorm(x, param(params, `${h}ln_2.weight`), param(params, `${h}ln_2.bias`), c.layer_norm_epsilon);
    const up = gelu(linear(params, `${h}mlp.c_fc`, tf.reshape(m, [B * T, C]), lora)) as tf.Tensor2D; // [B·T, F]
    x = tf.add(x, tf.reshape(linear(params, `${h}mlp.c_proj`, up, lora), [B, T, C]));
  }
  const hidden = layerNorm(x, param(params, `${P}ln_f.weight`), param(params, `${P}ln_f.bias`), c.layer_norm_epsilon) as tf.Tensor3D;
  return { hidden, present };
}

/**
 * LM head tied to the token embedding: logits [B·T, V] from hidden [B, T, C]. `wteT`, the
 * embedding already transposed [C, V], saves a transpose per call where many calls share
 * one (each step of generation).
 */
export function lmLogits(params: Params, hidden: tf.Tensor3D, wteT?: tf.Tensor2D): tf.Tensor2D {
  const [B, T, C] = hidden.shape;
  const h = tf.reshape(hidden, [B * T, C]) as tf.Tensor2D;
  return wteT ? tf.matMul(h, wteT) : tf.matMul(h, param(params, `${P}wte.weight`), false, true);
}

/**
 * Log-probability of each next token: [B, T-1] for ids [B, T] (Radford et al.'s LM
 * objective), under softmax(logits / temperature): PPO scores tokens at the temperature it
 * sampled them with (TRL divides the logits the same way).
 */
export function tokenLogProbs(params: Params, hidden: tf.Tensor3D, ids: tf.Tensor2D, temperature = 1): tf.Tensor2D {
  const [B, T] = ids.shape;
  const C = hidden.shape[2];
  const rows = tf.reshape(tf.slice(hidden, [0, 0, 0], [B, T - 1, -1]), [B * (T - 1), C]) as tf.Tensor2D; // position t predicts token t + 1
  const next = tf.reshape(tf.slice(ids, [0, 1], [B, T - 1]), [B * (T - 1)]) as tf.Tensor1D;
  return tf.reshape(pick(temperedLogSoftmax(params, rows, temperature), next), [B, T - 1]);
}

/**
 * Log-probs and entropies for chosen rows only: hidden rows [N, C] (the positions that
 * predict the tokens of interest) and the tokens they predict [N]. The LM head and its
 * softmax run over N rows, not over every position of the batch: with GPT-2's 50,257-word
 * vocabulary the prompt positions alone would cost gigabytes.
 */
export function rowTokenStats(params: Params, rows: tf.Tensor2D, next: tf.Tensor1D, temperature = 1): { logprobs: tf.Tensor1D; entropy: tf.Tensor1D } {
  const logp = temperedLogSoftmax(params, rows, temperature); // [N, V]
  return { logprobs: pick(logp, next), entropy: tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)) as tf.Tensor1D };
}

/** log softmax(rows · wteᵀ / temperature): [N, V]. */
function temperedLogSoftmax(params: Params, rows: tf.Tensor2D, temperature: number): tf.Tensor2D {
  const logits = tf.matMul(rows, param(params, `${P}wte.weight`), false, true); // [N, V]
  return tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature)) as tf.Tensor2D;
}

/** Row n's entry next[n], by a flat gather (a one-hot [N, V] is large for GPT-2's vocabulary): [N]. */
function pick(logp: tf.Tensor2D, next: tf.Tensor1D): tf.Tensor1D {
  const [N, V] = logp.shape;
  const flat = tf.add(tf.mul(tf.range(0, N, 1, "int32"), tf.scalar(V, "int32")), tf.cast(next, "int32"));
  return tf.gather(tf.reshape(logp, [-1]), flat) as tf.Tensor1D;
}

export function disposeCache(cache: KVCache | undefined): void {
  for (const layer of cache ?? []) tf.dispose([layer.k, layer.v]);
}
