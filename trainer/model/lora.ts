// LoRA (Hu et al. 2021): a frozen weight W gets a trainable low-rank update,
//     y = x·W + b + (α / r) · (x·A)·B,     A ∈ R^{in×r},  B ∈ R^{r×out} = 0,
// so training starts exactly at the base model (B = 0), the adapter is small to store, and merging
// (W' = W + (α/r)·A·B) gives a plain checkpoint back. Saved in PEFT's layout
// (adapter_config.json + adapter_model.safetensors, lora_A [r, in], lora_B [out, r]).
// A is initialised as PEFT does: kaiming_uniform_(a = √5) on lora_A [r, in] has gain √(1/3)
// and bound gain·√(3 / fan_in) = 1/√in, so A ~ U(−1/√in, 1/√in).
import * as tf from "@tensorflow/tfjs-core";
import type { GPT2Config } from "./config";
import { type Params, parameterShapes } from "./gpt2";
import { tfSeed } from "./seed";

export type LoraConfig = {
  r: number;
  alpha: number;
  /** module suffixes as in PEFT's target_modules: "c_attn", "c_proj", "c_fc" */
  targets: string[];
};

export const DEFAULT_LORA: LoraConfig = { r: 8, alpha: 16, targets: ["c_attn", "c_proj", "c_fc"] };

export class LoraAdapter {
  /** `${module}.lora_A` [in, r] and `${module}.lora_B` [r, out], module e.g. transformer.h.0.attn.c_attn */
  readonly params: Params = new Map();
  readonly scale: number;

  constructor(readonly config: LoraConfig, modelConfig: GPT2Config, seed = 0) {
    this.scale = config.alpha / config.r;
    let i = 0;
    for (const [name, shape] of parameterShapes(modelConfig)) {
      if (!name.endsWith(".weight") || shape.length !== 2) continue;
      const module = name.slice(0, -".weight".length);
      if (!this.targets(module)) continue;
      const [nIn, nOut] = shape as [number, number];
      const bound = 1 / Math.sqrt(nIn);
      const a = tf.randomUniform([nIn, config.r], -bound, bound, "float32", tfSeed(seed, 1, i++));
      this.params.set(`${module}.lora_A`, tf.variable(a, true));
      this.params.set(`${module}.lora_B`, tf.tidy(() => tf.variable(tf.zeros([config.r, nOut]), true)));
      a.dispose();
    }
  }

  targets(module: string): boolean {
    return this.config.targets.some((t) => module.endsWith(`.${t}`));
  }

  /** y + (α/r)·(x·A)·B for a targeted module, y unchanged otherwise. */
  apply(module: string, x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    const A = this.params.get(`${module}.lora_A`);
    const B = this.params.get(`${module}.lora_B`);
    if (!A || !B) return y;
    return tf.add(y, tf.mul(tf.matMul(tf.matMul(x, A), B), this.scale));
  }

  /** The update's output columns [from, from + width) only: (α/r)·(x·A)·B[:, from:from+width]. */
  applyColumns(module: string, x: tf.Tensor2D, y: tf.Tensor2D, from: number, width: number): tf.Tensor2D {
    const A = this.params.get(`${module}.lora_A`);
    const B = this.params.get(`${module}.lora_B`);
    if (!A || !B) return y;
    return tf.add(y, tf.mul(tf.matMul(tf.matMul(x, A), tf.slice(B, [0, from], [this.config.r, width])), this.scale));
  }

  /** The base with every update folded in: W + (α/r)·A·B. New variables; the base is untouched. */
  merge(base: Params): Params {
    const merged: Params = new Map();
    for (const [name, w] of base) {
      const module = name.endsWith(".weight") ? name.slice(0, -".weight".length) : null;
      const A = module ? this.params.get(`${module}.lora_A`) : undefined;
      const B = module ? this.params.get(`${module}.lora_B`) : undefined;
      const value = A && B ? tf.tidy(() => tf.add(w, tf.mul(tf.matMul(A, B), this.scale))) : w.clone();
      merged.set(name, tf.variable(value, false));
      value.dispose();
    }
    return merged;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
