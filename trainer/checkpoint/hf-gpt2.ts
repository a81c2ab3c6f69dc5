// Checkpoint folders in Hugging Face's GPT-2 layout: config.json + model.safetensors, plus
// tokenizer files (vocab.json, merges.txt, tokenizer.json, …) carried through unchanged when
// the model came with them. Loads what `save_pretrained` writes for GPT2LMHeadModel
// ("transformer."-prefixed names) and the original openai-community/gpt2 files (no prefix,
// with the attention-mask buffers `h.N.attn.bias`, which are skipped). lm_head.weight is
// tied to wte and not stored, as transformers does.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { type GPT2Config, gpt2ConfigSchema, toConfigJson } from "../model/config";
import type { Params } from "../model/gpt2";
import { canonicalName, parameterShapes, TOKENIZER_FILES } from "../model/layout";
import { writeByteLevelTokenizerFiles } from "../tokenizer/hf-files";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { decodeSafetensors, encodeSafetensors } from "./safetensors";

export { TOKENIZER_FILES } from "../model/layout";

export type Checkpoint = { config: GPT2Config; params: Params };

/**
 * `sha256`: the weights' recorded SHA-256 (a registered model's, lib/models/register-model.ts),
 * checked on the bytes read: one pass over memory the load reads anyway, cheaper than the
 * copies decoding makes. A file changed since it was recorded is refused.
 */
export function loadCheckpoint(dir: string, opts: { sha256?: string } = {}): Checkpoint {
  const configPath = path.join(dir, "config.json");
  const weightsPath = path.join(dir, "model.safetensors");
  if (!fs.existsSync(configPath)) throw new Error(`${dir}: no config.json`);
  if (!fs.existsSync(weightsPath)) throw new Error(`${dir}: no model.safetensors (only safetensors checkpoints load; convert .bin files first)`);
  const parsed = gpt2ConfigSchema.safeParse(JSON.parse(fs.readFileSync(configPath, "utf8")));
  if (!parsed.success) throw new Error(`${configPath}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const config = parsed.data;
  const bytes = fs.readFileSync(weightsPath);
  if (opts.sha256 && createHash("sha256").update(bytes).digest("hex") !== opts.sha256) {
    throw new Error(`${weightsPath} does not match the SHA-256 recorded when it was registered (${opts.sha256}): the file changed since; register the folder again`);
  }
  const { tensors } = decodeSafetensors(bytes);

  const byName = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>();
  for (const [stored, t] of tensors) {
    const name = canonicalName(stored);
    if (name) byName.set(name, t);
  }
  const params: Params = new Map();
  const problems: string[] = [];
  for (const [name, shape] of parameterShapes(config)) {
    const t = byName.get(name);
    if (!t) problems.push(`missing ${name}`);
    else if (JSON.stringify(t.shape) !== JSON.stringify(shape)) problems.push(`${name} has shape ${JSON.stringify(t.shape)}, config says ${JSON.stringify(shape)}`);
  }
  if (problems.length) throw new Error(`${weightsPath}: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` and ${problems.length - 5} more` : ""}`);
  for (const [name, t] of byName) params.set(name, tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(t.data), t.shape), true)));
  return { config, params };
}

export type SaveOptions = {
  architecture?: string; // e.g. GPT2ForSequenceClassification for a reward model
  metadata?: Record<string, string>;
  /** folder whose tokenizer files are copied alongside */
  tokenizerFrom?: string;
  extraConfig?: Record<string, unknown>;
};

/** Writes config.json + model.safetensors (+ tokenizer files); returns the weights' size and sha256. */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint, opts: SaveOptions = {}): Promise<{ sizeBytes: number; sha256: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of ckpt.params) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  const bytes = encodeSafetensors(tensors, { format: "pt", ...opts.metadata });
  const config = { ...toConfigJson(ckpt.config, opts.architecture), ...opts.extraConfig };
  if (opts.architecture === "GPT2ForSequenceClassification") Object.assign(config, { num_labels: 1, pad_token_id: ckpt.config.eos_token_id });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "model.safetensors"), bytes);
  if (opts.tokenizerFrom) {
    for (const f of TOKENIZER_FILES) {
      const src = path.join(opts.tokenizerFrom, f);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f));
    }
  } else if (tokenizerFor(ckpt.config).name === "byte-level") {
    writeByteLevelTokenizerFiles(dir, ckpt.config.n_positions);
  }
  return { sizeBytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
}
