// LoRA adapters saved apart from their base, in PEFT's layout, so `peft` loads them onto
// the Hugging Face GPT-2 base: adapter_config.json + adapter_model.safetensors with names
// base_model.model.<module>.lora_A.weight [r, in] and .lora_B.weight [out, r]. Arbiter keeps
// A as [in, r] and B as [r, out] (x·A·B on Conv1D's [in, out] weights), hence the transposes;
// GPT-2's Conv1D is why PEFT's config says fan_in_fan_out: true.
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { GPT2Config } from "../model/config";
import { LoraAdapter, type LoraConfig } from "../model/lora";
import { decodeSafetensors, encodeSafetensors } from "./safetensors";

const PREFIX = "base_model.model.";

export async function saveLoraAdapter(dir: string, lora: LoraAdapter, baseModel: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of lora.params) {
    const t = tf.transpose(v);
    const [module, which] = [name.slice(0, name.lastIndexOf(".")), name.slice(name.lastIndexOf(".") + 1)];
    tensors.set(`${PREFIX}${module}.${which}.weight`, { shape: t.shape, data: (await t.data()) as Float32Array });
    t.dispose();
  }
  const config = {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: baseModel,
    r: lora.config.r,
    lora_alpha: lora.config.alpha,
    target_modules: lora.config.targets,
    fan_in_fan_out: true,
    lora_dropout: 0,
    bias: "none",
    inference_mode: true,
  };
  fs.writeFileSync(path.join(dir, "adapter_config.json"), JSON.stringify(config, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "adapter_model.safetensors"), encodeSafetensors(tensors, { format: "pt" }));
}

export function loadLoraAdapter(dir: string, modelConfig: GPT2Config): LoraAdapter {
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "adapter_config.json"), "utf8")) as { r: number; lora_alpha: number; target_modules: string[] };
  const config: LoraConfig = { r: cfg.r, alpha: cfg.lora_alpha, targets: cfg.target_modules };
  const lora = new LoraAdapter(config, modelConfig);
  const { tensors } = decodeSafetensors(fs.readFileSync(path.join(dir, "adapter_model.safetensors")));
  for (const [name, v] of lora.params) {
    const [module, which] = [name.slice(0, name.lastIndexOf(".")), name.slice(name.lastIndexOf(".") + 1)];
    const stored = tensors.get(`${PREFIX}${module}.${which}.weight`);
    if (!stored) throw new Error(`${dir}: adapter has no ${module}.${which}`);
    tf.tidy(() => v.assign(tf.transpose(tf.tensor(stored.data, stored.shape))));
  }
  return lora;
}
