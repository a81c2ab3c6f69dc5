// The model a round starts from: a user's GPT-2-family checkpoint from the models folder
// or registered in the project (lib/models/register-model.ts), or Arbiter's small
// byte-level model initialised from a seed when none is set.
import fs from "node:fs";
import path from "node:path";
import { type Checkpoint, loadCheckpoint } from "../checkpoint/hf-gpt2";
import { smallConfig } from "../model/config";
import { initParams } from "../model/gpt2";
import { baseModelDir, checkpointsDir, modelsDir, registeredModelPath } from "@/lib/models/paths";
import type { ScratchModel } from "@/lib/rounds/round-settings";

export type BaseModel = Checkpoint & { name: string; dir: string | null };

/** `registeredSha256`: the recorded SHA-256 of the project's registered model of that name, checked when that is the folder loaded. */
export function loadBaseModel(name: string | null, seed: number, scratch?: ScratchModel, projectId?: string, registeredSha256?: string): BaseModel {
  if (!name) {
    const config = smallConfig(scratch ? { n_embd: scratch.nEmbd, n_layer: scratch.nLayer, n_head: scratch.nHead, n_positions: scratch.nPositions } : {});
    return { name: "arbiter-small (from scratch)", dir: null, config, params: initParams(config, seed) };
  }
  const dir = baseModelDir(name, projectId);
  if (!fs.existsSync(dir)) throw new Error(`base model "${name}" not found: put config.json and model.safetensors in ${path.join(modelsDir(), name)}, or register the folder (arbiter model register)`);
  const registered = projectId !== undefined && dir === path.join(checkpointsDir(), registeredModelPath(projectId, name));
  return { name, dir, ...loadCheckpoint(dir, { sha256: registered ? registeredSha256 : undefined }) };
}
