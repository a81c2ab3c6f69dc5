// The decoder's key/value cache, with room to grow. Appending one position by concat copies
// the whole cache, every layer, every step: on wasm that copy was a fifth of a sampling
// step. On wasm the cache is therefore allocated GROW positions ahead and each new
// position written into its tensors in place, on the wasm heap (the backend runs kernels
// synchronously, and no other tensor shares these buffers' data); the columns not yet
// written hold zeros and are masked out of attention by the caller's bias. Other backends
// append by concat, with capacity always equal to length.
//
// One hidden copy would defeat in-place writes: a wasm product with a batch of one runs in
// XNNPACK, which packs its right operand once per tensor id and reuses the packed copy. Where
// attention runs through tfjs products the cache is that operand of q·kᵀ and p·v, batched
// over B·H, so with B·H = 1 writes in place would not be seen: that case (one row, one head)
// appends by concat. The fused attention kernel (tf/decode-kernels.ts) reads the cache
// itself, so with it every shape is written in place.
import * as tf from "@tensorflow/tfjs-core";
import { decodeKernelsReady } from "../tf/decode-kernels";
import { heapView, onWasm } from "../tf/wasm-heap";

/** Positions allocated ahead on wasm: attention reads at most GROW − 1 masked columns. */
export const GROW = 8;

export class KVBuffer {
  /** positions written so far */
  length: number;
  /** whether new positions are written into the tensors (else appended by concat) */
  readonly inPlace: boolean;
  /**
   * whether the decoder's steps on this cache use the fused wasm kernels (decided once, here:
   * a one-row one-head cache written in place would be wrong under tfjs's batch-1 products)
   */
  readonly fused: boolean;

  /**
   * keys transposed [B·H, D, length] and values [B·H, length, D] per layer (heads folded
   * into the batch: the layout the batched product takes), taken over (not copied): the
   * buffer disposes them.
   */
  constructor(
    private kT: tf.Tensor3D[],
    private v: tf.Tensor3D[],
    opts: { inPlace?: boolean } = {},
  ) {
    const [BH, D, S] = kT[0]!.shape;
    this.length = S;
    // with the fused kernel the cache is never a product's operand, so one row is safe too
    this.fused = (opts.inPlace ?? true) && decodeKernelsReady(D, 1);
    this.inPlace = this.fused || ((opts.inPlace ?? true) && onWasm() && BH > 1);
  }

  /** columns allocated: length, or more where room was allocated ahead */
  get capacity(): number {
    return this.kT[0]!.shape[2];
  }

  keys(layer: number): tf.Tensor3D {
    return this.kT[layer]!;
  }

  values(layer: number): tf.Tensor3D {
    return this.v[layer]!;
  }

  /**
   * Makes room for one more position (in place only; call outside any tf.tidy) and returns
   * how many columns the next step's attention reads: its bias must be that wide.
   */
  reserve(): number {
    if (!this.inPlace) return this.length + 1;
    if (this.length === this.capacity) {
      for (let i = 0; i < this.kT.length; i++) {
        const [kT, v] = [this.kT[i]!, this.v[i]!];
        this.kT[i] = tf.pad(kT, [[0, 0], [0, 0], [0, GROW]]);
        this.v[i] = tf.pad(v, [[0, 0], [0, GROW], [0, 0]]);
        tf.dispose([kT, v]);
      }
    }
    return this.capacity;
  }

  /**
   * Writes layer `layer`'s new key and value, each B·C numbers laid out [B·H, D], at position `length`.
   * The caller advances `length` once every layer is written (`advance`).
   */
  write(layer: number, k: tf.Tensor, v: tf.Tensor): void {
    const [BH, D] = this.kT[layer]!.shape;
    const n = this.length;
    if (this.inPlace) {
      const cap = this.capacity;
      // views taken together, after the last allocation (heap growth detaches older views)
      const [kNew, vNew, kT, vs] = [k, v, this.kT[layer]!, this.v[layer]!].map(heapView) as [Float32Array, Float32Array, Float32Array, Float32Array];
      for (let bh = 0; bh < BH; bh++) {
        for (let d = 0; d < D; d++) {
          kT[(bh * D + d) * cap + n] = kNew[bh * D + d]!; // kᵀ[b·H + h, d, n]
          vs[(bh * cap + n) * D + d] = vNew[bh * D + d]!; // v[b·H + h, n, d]
        }
      }
      return;
    }
    const [kT, vs] = [this.kT[layer]!, this.v[layer]!];
    this.kT[layer] = tf.keep(tf.concat([kT, tf.reshape(k, [BH, D, 1])], 2));
    this.v[layer] = tf.keep(tf.concat([vs, tf.reshape(v, [BH, 1, D])], 1));
    tf.dispose([kT, vs]);
  }

  advance(): void {
    this.length++;
  }

  dispose(): void {
    tf.dispose([...this.kT, ...this.v]);
  }
}
