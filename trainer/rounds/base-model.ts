// The model a round starts from: a user's GPT-2-family checkpoint from the models folder
// or registered in the project (lib/models/register-model.ts), or Arbiter's small
// byte-level model initialised from a seed when none is set.
import fs from "node:fs";
import path from "node:path";
import { type Checkpoint, loadCheckpoint } from "../checkpoint/hf-gpt2";
import { smallConfig } from "../model/config";
import { initParams } from "../model/gpt2";
import { baseModelDir, modelsDir } from "@/lib/models/paths";
import type { ScratchModel } from "@/lib/rounds/round-settings";

export type BaseModel = Checkpoint & { name: string; dir: string | null };

export function loadBaseModel(name: string | null, seed: number, scratch?: ScratchModel, projectId?: string): BaseModel {
  if (!name) {
    const config = smallConfig(scratch ? { n_embd: scratch.nEmbd, n_layer: scratch.nLayer, n_head: scratch.nHead, n_positions: scratch.nPositions } : {});
    return { name: "arbiter-small (from scratch)", dir: null, config, params: initParams(config, seed) };
  }
  const dir = baseModelDir(name, projectId);
  if (!fs.existsSync(dir)) throw new Error(`base model "${name}" not found: put config.json and model.safetensors in ${path.join(modelsDir(), name)}, or register the folder (arbiter model register)`);
  return { name, dir, ...loadCheckpoint(dir) };
}
