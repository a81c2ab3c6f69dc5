// One-token decoding for sampling: the same GPT-2 as gpt2.ts's forward(), rearranged for
// the step that generation repeats once per new token with a KV cache. At one position per
// row the step is ~275 small kernel calls, and on wasm a call's fixed cost, not its
// arithmetic, is most of the step. So the weights are prepared once per sampling call,
// each rearrangement exact in real arithmetic:
// - LoRA merged into the base, W + (α/r)·A·B (Hu et al. 2021, §4.1: no inference latency);
// - LayerNorm's gain and shift folded into the product that follows it:
//     (n ⊙ γ + β)·W + b = n·(diag(γ)·W) + (β·W + b),   n = (x − μ)/√(σ² + ε);
// - attention's 1/√D folded into the query columns of c_attn;
// - every bias added by the product itself (tfjs's fused matMul);
// and the keys are cached transposed, [B, H, D, S], so q·kᵀ is a plain batched product, in
// a buffer that grows ahead and is written in place (kv-buffer.ts). The prompt itself
// (many positions at once) still runs through forward(); its cache is handed over with
// `fromForwardCache`.
import * as tf from "@tensorflow/tfjs-core";
import type { GPT2Config } from "./config";
import { gelu, type KVCache, P, type Params, param } from "./gpt2";
import { heapView, onWasm } from "../tf/wasm-heap";
import { KVBuffer } from "./kv-buffer";
import type { LoraAdapter } from "./lora";

type Layer = { attnW: tf.Tensor2D; attnB: tf.Tensor1D; projW: tf.Tensor2D; projB: tf.Tensor1D; fcW: tf.Tensor2D; fcB: tf.Tensor1D; outW: tf.Tensor2D; outB: tf.Tensor1D };

/** (γ, β, W, b) → (diag(γ)·W, β·W + b): a LayerNorm's affine part moved into the next product. */
function foldNorm(gamma: tf.Tensor, beta: tf.Tensor, W: tf.Tensor2D, b: tf.Tensor | null): [tf.Tensor2D, tf.Tensor1D] {
  const folded = tf.mul(tf.reshape(gamma, [-1, 1]), W) as tf.Tensor2D; // [in, out]
  // β·W as a column sum: a reshaped product would share its data with a rank-3 tensor, and
  // the wasm fused kernel reads a bias's rank from its data
  const shift = tf.sum(tf.mul(tf.reshape(beta, [-1, 1]), W), 0); // [out]
  return [folded, (b ? tf.add(shift, b) : shift) as tf.Tensor1D];
}

export class Decoder {
  private readonly layers: Layer[];
  private readonly lmW: tf.Tensor2D; // [C, V]
  private readonly lmB: tf.Tensor1D; // [V]
  private readonly wte: tf.Tensor2D;
  private readonly wpe: tf.Tensor2D;
  private readonly eps: number;
  /** the LoRA-merged weights, made for this decoder (the base's own are only borrowed) */
  private readonly merged: Params | null;

  constructor(private readonly config: GPT2Config, params: Params, lora?: LoraAdapter) {
    this.merged = lora ? lora.merge(params) : null;
    const base = this.merged ?? params;
    const C = config.n_embd;
    const qScale = 1 / Math.sqrt(C / config.n_head);
    // the query's C columns scaled by 1/√D, keys and values as they are
    const columnScale = tf.tidy(() => tf.concat([tf.fill([C], qScale), tf.ones([2 * C])]));
    this.eps = config.layer_norm_epsilon;
    this.layers = [];
    for (let i = 0; i < config.n_layer; i++) {
      const h = `${P}h.${i}.`;
      const w = (name: string) => param(base, `${h}${name}`);
      this.layers.push(
        tf.tidy(() => {
          const [attnW, attnB] = foldNorm(w("ln_1.weight"), w("ln_1.bias"), w("attn.c_attn.weight") as tf.Tensor2D, w("attn.c_attn.bias"));
          const [fcW, fcB] = foldNorm(w("ln_2.weight"), w("ln_2.bias"), w("mlp.c_fc.weight") as tf.Tensor2D, w("mlp.c_fc.bias"));
          return {
            attnW: tf.mul(attnW, columnScale) as tf.Tensor2D,
            attnB: tf.mul(attnB, columnScale) as tf.Tensor1D,
            projW: w("attn.c_proj.weight") as tf.Tensor2D, // borrowed
            projB: w("attn.c_proj.bias") as tf.Tensor1D,
            fcW,
            fcB,
            outW: w("mlp.c_proj.weight") as tf.Tensor2D,
            outB: w("mlp.c_proj.bias") as tf.Tensor1D,
          };
        }),
      );
    }
    [this.lmW, this.lmB] = tf.tidy(() =>
      foldNorm(param(base, `${P}ln_f.weight`), param(base, `${P}ln_f.bias`), tf.transpose(param(base, `${P}wte.weight`)) as tf.Tensor2D, null),
    );
    this.wte = param(base, `${P}wte.weight`) as tf.Tensor2D; // borrowed
    this.wpe = param(base, `${P}wpe.weight`) as tf.Tensor2D;
    columnScale.dispose();
  }

  /** (x − μ)/√(σ² + ε) over the last axis, with no gain or shift (they live in the next product). */
  private normalize(x: tf.Tensor2D): tf.Tensor2D {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    return tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), this.eps))) as tf.Tensor2D;
  }

  /**
   * One new token per row: logits [B, V]; the position's keys and values are written into
   * `cache`. `bias` [B, 1, 1, S] is 0 where a row may attend and −1e9 where not (its left
   * padding, and any column past this position), S = cache.reserve(), called first and
   * outside any tidy.
   */
  step(ids: number[], positions: number[], bias: tf.Tensor4D, cache: KVBuffer): tf.Tensor2D {
    const B = ids.length;
    const C = this.config.n_embd;
    const H = this.config.n_head;
    const D = C / H;
    let x = this.embed(ids, positions); // [B, C]
    this.layers.forEach((l, i) => {
      const qkv = tf.fused.matMul({ a: this.normalize(x), b: l.attnW, bias: l.attnB }); // [B, 3C]
      const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor2D[];
      cache.write(i, k!, v!);
      // one position: [B, C] is [B, H, 1, D] in memory
      const scores = tf.add(tf.matMul(tf.reshape(q!, [B, H, 1, D]), cache.keys(i)), bias); // [B, H, 1, S], already scaled by 1/√D
      const y = tf.reshape(tf.matMul(tf.softmax(scores), cache.values(i)), [B, C]) as tf.Tensor2D; // [B, H, 1, D] → [B, C]
      x = tf.add(x, tf.fused.matMul({ a: y, b: l.projW, bias: l.projB })) as tf.Tensor2D;
      const up = gelu(tf.fused.matMul({ a: this.normalize(x), b: l.fcW, bias: l.fcB })) as tf.Tensor2D; // [B, F]
      x = tf.add(x, tf.fused.matMul({ a: up, b: l.outW, bias: l.outB })) as tf.Tensor2D;
    });
    cache.advance();
    return tf.fused.matMul({ a: this.normalize(x), b: this.lmW, bias: this.lmB }) as tf.Tensor2D;
  }

  /**
   * Token plus position embedding of one position per row: [B, C]. On wasm the rows are
   * summed straight from the tables' memory; two gather kernels cost ~20× more there.
   */
  private embed(ids: number[], positions: number[]): tf.Tensor2D {
    if (!onWasm()) return tf.add(tf.gather(this.wte, tf.tensor1d(ids, "int32")), tf.gather(this.wpe, tf.tensor1d(positions, "int32"))) as tf.Tensor2D;
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
    return tf.tensor2d(x, [ids.length, C]);
  }

  dispose(): void {
    for (const l of this.layers) tf.dispose([l.attnW, l.attnB, l.fcW, l.fcB]);
    tf.dispose([this.lmW, this.lmB]);
    for (const v of this.merged?.values() ?? []) v.dispose();
  }
}

/** forward()'s cache, keys [B, H, S, D], as a KVBuffer (keys transposed). */
export function fromForwardCache(cache: KVCache, opts: { inPlace?: boolean } = {}): KVBuffer {
  return new KVBuffer(
    cache.map(({ k }) => tf.transpose(k, [0, 1, 3, 2]) as tf.Tensor4D),
    cache.map(({ v }) => v.clone()),
    opts,
  );
}
