// One-token decoding for sampling: the same GPT-2 as gpt2.ts's forward(), rearranged for
// the step that generation repeats once per new token with a KV cache. Through forward() a
// one-position step is ~275 small kernel calls, and on wasm a call's fixed cost, not its
// arithmetic, is most of the step (78 calls here). So the weights are prepared once per
// sampling call, each rearrangement exact in real arithmetic:
// - LoRA merged into the base, W + (α/r)·A·B (Hu et al. 2021, §4.1: no inference latency);
// - LayerNorm's gain and shift folded into the product that follows it:
//     (n ⊙ γ + β)·W + b = n·(diag(γ)·W) + (β·W + b),   n = (x − μ)/√(σ² + ε);
// - attention's 1/√D folded into the query columns of c_attn;
// - every bias added by the product itself (one _FusedMatMul kernel call);
// Heads are folded into the batch and the keys cached transposed, [B·H, D, S], over a cache
// that grows ahead and is written in place (kv-buffer.ts). On wasm everything between the
// products is a call into a WebAssembly SIMD module (tf/decode-kernels.ts): attention
// (cache write, q·kᵀ + mask, softmax, ·v), GELU, and each residual add with the LayerNorm
// after it; the embedding lookup runs on the wasm heap. Elsewhere q·kᵀ and p·v are one
// batched product each. The prompt itself (many positions at once) still runs through
// forward(); its cache is handed over with `fromForwardCache`.
import * as tf from "@tensorflow/tfjs-core";
import type { GPT2Config } from "./config";
import { gelu, type KVCache, P, type Params, param } from "./gpt2";
import { addNorm, decodeAttention, geluWasm } from "../tf/decode-kernels";
import { heapView, onWasm } from "../tf/wasm-heap";
import { KVBuffer } from "./kv-buffer";
import type { LoraAdapter } from "./lora";

/** A product's weight [1, in, out] (the batched layout the kernel takes) and bias [out]. */
type Dense = { W: tf.Tensor3D; b: tf.Tensor1D };
type Layer = { attn: Dense; proj: Dense; fc: Dense; out: Dense };

/**
 * a [1, N, in] · W + b, as one call of the fused kernel: tf.fused.matMul around it adds
 * three reshapes and an op wrapper, four more calls than the product itself.
 */
function dense(a: tf.Tensor3D, { W, b }: Dense): tf.Tensor3D {
  return tf.engine().runKernel("_FusedMatMul", { a, b: W, bias: b }, { transposeA: false, transposeB: false, activation: "linear" });
}

/** a [N, M, K] · b [N, K, P] per batch entry: one kernel call, as dense() is. */
function batched3(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return tf.engine().runKernel("_FusedMatMul", { a, b }, { transposeA: false, transposeB: false, activation: "linear" });
}

/** W [in, out] as [1, in, out], sharing its data. */
const batched = (W: tf.Tensor2D): tf.Tensor3D => tf.reshape(W, [1, ...W.shape]);

/** (γ, β, W, b) → (diag(γ)·W, β·W + b): a LayerNorm's affine part moved into the next product. */
function foldNorm(gamma: tf.Tensor, beta: tf.Tensor, W: tf.Tensor2D, b: tf.Tensor | null): [tf.Tensor2D, tf.Tensor1D] {
  const folded = tf.mul(tf.reshape(gamma, [-1, 1]), W) as tf.Tensor2D; // [in, out]
  // β·W as a column sum: a reshaped product would share its data with a rank-3 tensor, and
  // the wasm fused kernel reads a bias's rank from its data
  const shift = tf.sum(tf.mul(tf.reshape(beta, [-1, 1]), W), 0); // [out]
  return [folded, (b ? tf.add(shift, b) : shift) as tf.Tensor1D];
}

/** W + (α/r)·A·B where the adapter targets the module (Hu et al. 2021, eq. 3), else W itself. */
function mergedWeight(params: Params, module: string, lora?: LoraAdapter): tf.Tensor2D {
  const W = param(params, `${module}.weight`) as tf.Tensor2D;
  const A = lora?.params.get(`${module}.lora_A`);
  const B = lora?.params.get(`${module}.lora_B`);
  return A && B ? (tf.add(W, tf.mul(tf.matMul(A, B), lora!.scale)) as tf.Tensor2D) : W;
}

export class Decoder {
  private readonly layers: Layer[] = [];
  private readonly lm: Dense; // [1, C, V], [V]
  private readonly wte: tf.Tensor2D;
  private readonly wpe: tf.Tensor2D;
  private readonly eps: number;

  constructor(private readonly config: GPT2Config, params: Params, lora?: LoraAdapter) {
    const C = config.n_embd;
    const qScale = 1 / Math.sqrt(C / config.n_head);
    this.eps = config.layer_norm_epsilon;
    this.wte = param(params, `${P}wte.weight`) as tf.Tensor2D; // borrowed (the LM head has no LoRA)
    this.wpe = param(params, `${P}wpe.weight`) as tf.Tensor2D;
    try {
      for (let i = 0; i < config.n_layer; i++) {
        const h = `${P}h.${i}.`;
        const w = (name: string) => param(params, `${h}${name}`);
        // Only what is returned survives the tidy, so merged weights that a fold consumes are
        // freed at once. A borrowed weight's reshape shares the model's data: disposing it
        // later only drops that reference.
        this.layers.push(
          tf.tidy(() => {
            const [attnW, attnB] = foldNorm(w("ln_1.weight"), w("ln_1.bias"), mergedWeight(params, `${h}attn.c_attn`, lora), w("attn.c_attn.bias"));
            const [fcW, fcB] = foldNorm(w("ln_2.weight"), w("ln_2.bias"), mergedWeight(params, `${h}mlp.c_fc`, lora), w("mlp.c_fc.bias"));
            // the query's C columns scaled by 1/√D, keys and values as they are
            const columnScale = tf.concat([tf.fill([C], qScale), tf.ones([2 * C])]);
            return {
              attn: { W: batched(tf.mul(attnW, columnScale) as tf.Tensor2D), b: tf.mul(attnB, columnScale) as tf.Tensor1D },
              proj: { W: batched(mergedWeight(params, `${h}attn.c_proj`, lora)), b: tf.clone(w("attn.c_proj.bias")) as tf.Tensor1D },
              fc: { W: batched(fcW), b: fcB },
              out: { W: batched(mergedWeight(params, `${h}mlp.c_proj`, lora)), b: tf.clone(w("mlp.c_proj.bias")) as tf.Tensor1D },
            };
          }),
        );
      }
      this.lm = tf.tidy(() => {
        const [W, b] = foldNorm(param(params, `${P}ln_f.weight`), param(params, `${P}ln_f.bias`), tf.transpose(this.wte) as tf.Tensor2D, null);
        return { W: batched(W), b };
      });
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /**
   * (x − μ)/√(σ² + ε) over the last axis, with no gain or shift (they live in the next
   * product). On wasm computed on x's memory: one new tensor where the ops take seven
   * kernel calls, for a few thousand numbers.
   */
  private normalize(x: tf.Tensor3D): tf.Tensor3D {
    if (!onWasm()) {
      const centred = tf.sub(x, tf.mean(x, -1, true));
      return tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), this.eps))) as tf.Tensor3D;
    }
    const [, N, C] = x.shape;
    const src = heapView(x);
    const out = new Float32Array(N * C);
    for (let r = 0; r < N; r++) {
      const row = src.subarray(r * C, (r + 1) * C);
      let mean = 0;
      for (let c = 0; c < C; c++) mean += row[c]!;
      mean /= C;
      let variance = 0;
      for (let c = 0; c < C; c++) variance += (row[c]! - mean) ** 2;
      const inv = 1 / Math.sqrt(variance / C + this.eps);
      for (let c = 0; c < C; c++) out[r * C + c] = (row[c]! - mean) * inv;
    }
    return tf.tensor3d(out, [1, N, C]);
  }

  /**
   * One new token per row: logits [B, V]; the position's keys and values are written into
   * `cache`. `bias` [B·H, 1, S] (row b's repeated for each of its H heads) is 0 where a
   * row may attend and −1e9 where not (its left padding, and any column past this
   * position), S = cache.reserve(), called first and outside any tidy.
   */
  step(ids: number[], positions: number[], bias: tf.Tensor3D, cache: KVBuffer): tf.Tensor2D {
    const B = ids.length;
    const H = this.config.n_head;
    const x0 = this.embed(ids, positions); // [1, B, C]
    if (cache.fused) {
      // x: the residual stream; n: its LayerNorm, the next product's input
      let [x, n] = [x0, addNorm(x0, null, this.eps)];
      for (const [i, l] of this.layers.entries()) {
        const y = decodeAttention(dense(n, l.attn), cache.keys(i), cache.values(i), bias, H, cache.length);
        [x, n] = addNorm(x, dense(y, l.proj), this.eps);
        [x, n] = addNorm(x, dense(geluWasm(dense(n, l.fc)), l.out), this.eps);
      }
      cache.advance();
      return tf.reshape(dense(n, this.lm), [B, -1]); // [B, V]
    }
    let x = x0;
    this.layers.forEach((l, i) => {
      const y = this.attend(dense(this.normalize(x), l.attn), bias, cache, i);
      x = tf.add(x, dense(y, l.proj));
      const up = gelu(dense(this.normalize(x), l.fc)) as tf.Tensor3D; // [1, B, F]
      x = tf.add(x, dense(up, l.out));
    });
    cache.advance();
    return tf.reshape(dense(this.normalize(x), this.lm), [B, -1]); // [B, V]
  }

  /** decodeAttention's result through tfjs kernels: writes the cache, then q·kᵀ + bias, softmax, ·v. */
  private attend(qkv: tf.Tensor3D, bias: tf.Tensor3D, cache: KVBuffer, layer: number): tf.Tensor3D {
    const [, B, C3] = qkv.shape;
    const H = this.config.n_head;
    const D = C3 / 3 / H;
    const [q, k, v] = tf.split(qkv, 3, 2); // [1, B, C] each
    cache.write(layer, k!, v!);
    // one position: [1, B, C] is [B·H, 1, D] in memory
    const scores = tf.add(batched3(tf.reshape(q!, [B * H, 1, D]), cache.keys(layer)), bias); // [B·H, 1, S], already scaled by 1/√D
    return tf.reshape(batched3(tf.softmax(scores) as tf.Tensor3D, cache.values(layer)), [1, B, H * D]) as tf.Tensor3D; // [B·H, 1, D] → [1, B, C]
  }

  /**
   * Token plus position embedding of one position per row: [B, C]. On wasm the rows are
   * summed straight from the tables' memory; two gather kernels cost ~20× more there.
   */
  private embed(ids: number[], positions: number[]): tf.Tensor3D {
    if (!onWasm()) return tf.expandDims(tf.add(tf.gather(this.wte, tf.tensor1d(ids, "int32")), tf.gather(this.wpe, tf.tensor1d(positions, "int32"))), 0);
    const C = this.config.n_embd;
    const x = new Float32Array(ids.length * C);
    const [wte, wpe] = [heapView(this.wte), heapView(this.wpe)];
    ids.forEach((id, b) => {
      const pos = positions[b]!;
      if (!(id >= 0 && id < this.config.vocab_size)) throw new Error(`token id ${id} is not in [0, ${this.config.vocab_size})`);
      if (!(pos >= 0 && pos < this.config.n_positions)) throw new Error(`position ${pos} is not in [0, ${this.config.n_positions})`);
      const [t, p] = [id * C, pos * C];
      for (let c = 0; c < C; c++) x[b * C + c] = wte[t + c]! + wpe[p + c]!;
    });
    return tf.tensor3d(x, [1, ids.length, C]);
  }

  /** Frees what the constructor made (a reshape of a borrowed weight only drops its reference). */
  dispose(): void {
    for (const l of this.layers) for (const d of [l.attn, l.proj, l.fc, l.out]) tf.dispose([d.W, d.b]);
    if (this.lm) tf.dispose([this.lm.W, this.lm.b]);
  }
}

/** forward()'s cache, keys and values [B, H, S, D], as a KVBuffer (heads folded into the batch, keys transposed). */
export function fromForwardCache(cache: KVCache, opts: { inPlace?: boolean } = {}): KVBuffer {
  const fold = (t: tf.Tensor4D) => [t.shape[0] * t.shape[1], t.shape[2], t.shape[3]] as const;
  const { kT, v } = tf.tidy(() => ({
    kT: cache.map(({ k }) => tf.reshape(tf.transpose(k, [0, 1, 3, 2]), [fold(k)[0], fold(k)[2], fold(k)[1]]) as tf.Tensor3D),
    // a copy (the cache is forward()'s and may be disposed), not a reshape sharing its data
    v: cache.map(({ v }) => tf.reshape(v.clone(), [...fold(v)]) as tf.Tensor3D),
  }));
  return new KVBuffer(kT, v, opts);
}
