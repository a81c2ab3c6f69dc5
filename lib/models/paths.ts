// Where models live on disk (shared by the web app and the trainer): checkpoints it writes under <data dir>/checkpoints, and
// base models users bring under <data dir>/models (ARBITER_MODELS_DIR overrides), each a
// folder in Hugging Face's layout (config.json + model.safetensors [+ tokenizer files]).
import fs from "node:fs";
import path from "node:path";

export function dataDir(): string {
  return path.resolve(process.env.ARBITER_DATA_DIR ?? ".data");
}

export function checkpointsDir(): string {
  return path.join(dataDir(), "checkpoints");
}

export function modelsDir(): string {
  return path.resolve(process.env.ARBITER_MODELS_DIR ?? path.join(dataDir(), "models"));
}

/** A stored relative artifact path made absolute, refusing anything that leaves the root. */
export function checkpointPath(relative: string): string {
  const root = checkpointsDir();
  const full = path.resolve(root, relative);
  if (!full.startsWith(root + path.sep)) throw new Error(`artifact path ${relative} leaves the checkpoint folder`);
  return full;
}

/** Folders under the models directory that hold a loadable checkpoint (config.json + model.safetensors). */
export function listBaseModels(): string[] {
  const root = modelsDir();
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, "config.json")) && fs.existsSync(path.join(root, d.name, "model.safetensors")))
    .map((d) => d.name)
    .sort();
}
