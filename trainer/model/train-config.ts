// The knobs every supervised trainer here shares (reward model, SFT): epochs with early
// stopping, Adam with global-norm clipping, and full fine-tuning or a LoRA adapter.
import type { LoraConfig } from "./lora";

export type TrainConfig = {
  epochs: number;
  /** examples (comparisons, demonstrations) per step */
  batchSize: number;
  learningRate: number;
  clipNorm: number;
  /** epochs without a better validation loss before stopping */
  patience: number;
  seed: number;
  /** train a LoRA adapter (and any head) only; null trains every trunk parameter */
  lora: LoraConfig | null;
};
