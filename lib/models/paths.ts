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

/** Where a model registered from a folder (register-model.ts) lives, relative to the checkpoint root. */
export function registeredModelPath(projectId: string, name: string): string {
  return path.join(projectId, "registered", name);
}

function checkpointFolders(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.includes(".partial-") && fs.existsSync(path.join(root, d.name, "config.json")) && fs.existsSync(path.join(root, d.name, "model.safetensors")))
    .map((d) => d.name);
}

/**
 * The names a round's baseModel can take: folders under the models directory that hold a
 * loadable checkpoint (config.json + model.safetensors), and with a project, the models
 * registered in it.
 */
export function listBaseModels(projectId?: string): string[] {
  const names = new Set(checkpointFolders(modelsDir()));
  if (projectId) for (const n of checkpointFolders(path.join(checkpointsDir(), projectId, "registered"))) names.add(n);
  return [...names].sort();
}

/**
 * The folder a baseModel name stands for: the project's registered model of that name,
 * else the models directory's. Registered first: a registered model was checked and its
 * weights' SHA-256 recorded, and a folder dropped into the models directory later under
 * the same name must not take its place.
 */
export function baseModelDir(name: string, projectId?: string): string {
  if (projectId) {
    const registered = path.join(checkpointsDir(), registeredModelPath(projectId, name));
    if (fs.existsSync(registered)) return registered;
  }
  return path.join(modelsDir(), name);
}
