// A GPT-2-family checkpoint folder trained elsewhere (config.json + model.safetensors +
// tokenizer files, the layout trainer/checkpoint/hf-gpt2.ts reads) registered as one of a
// project's models: copied first into a private folder of the server's
// (copy-model-folder.ts: opened by handle, links refused over HTTP, regular files only,
// sizes bounded, room on the disk), then checked there without loading its weights (the
// config's fields and sizes, the weights file's size against the parameter count, every
// tensor's name and shape in the safetensors header against the config, the tokenizer
// Arbiter would use for it), moved into the checkpoint store under
// <project>/registered/<name>/, and recorded as a model artifact with the copy's size and
// SHA-256 like the ones rounds write.
// - kind "policy": an artifact of kind `policy` with its own source name
//   `policy@external-N` (lib/import/external-policy.ts numbers both): the playground samples
//   it, and a round's generate phase that finds it the newest policy answers under that name.
// - kind "base": an artifact of kind `reference_policy` (the model a round's reference
//   policy is when no SFT model exists, trainer/rounds/round-models.ts).
// Either can be named as a round's baseModel (lib/models/paths.ts, baseModelDir: the
// project's registered model before a models-directory folder of the same name).
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { modelArtifacts, type ModelArtifact, type Project } from "@/lib/db/schema";
import { nextExternalSource } from "@/lib/import/external-policy";
import { gpt2ConfigSchema, type GPT2Config } from "@/trainer/model/config";
import { canonicalName, parameterCount, parameterShapes, TOKENIZER_FILES } from "@/trainer/model/layout";
import { readSafetensorsHeader } from "@/trainer/checkpoint/safetensors";
import { copyModelFolder } from "./copy-model-folder";
import { checkpointsDir, modelsDir, registeredModelPath } from "./paths";
import { RegisterModelError } from "./register-model-error";

export { RegisterModelError };

export const REGISTER_KINDS = ["base", "policy"] as const;
export type RegisterKind = (typeof REGISTER_KINDS)[number];
const ARTIFACT_KIND: Record<RegisterKind, ModelArtifact["kind"]> = { base: "reference_policy", policy: "policy" };

/** What round settings accept as a baseModel name (lib/rounds/round-settings.ts). */
export const modelName = z
  .string()
  .regex(/^[\w.-]{1,100}$/, "a name of letters, digits, '.', '_' or '-' (it becomes a folder name)")
  .refine((s) => s !== "." && s !== "..", "a name of letters, digits, '.', '_' or '-' (it becomes a folder name)")
  // `<name>.partial-*` is how checkpoint folders are named while written (trainer/rounds/artifacts.ts), swept and never listed
  .refine((s) => !s.includes(".partial-"), "a name without '.partial-' (the suffix of folders being written)");

// Arbiter's own tokenizers (trainer/tokenizer/tokenizer.ts): it encodes with these whatever files a folder carries
const TOKENIZERS = { "byte-level": { vocab: 257, eos: 256 }, "gpt2-bpe": { vocab: 50257, eos: 50256 } } as const;

export type CheckedFolder = { config: GPT2Config; tokenizer: keyof typeof TOKENIZERS; files: string[] };

/** The vocabulary a folder's tokenizer files hold, when they hold one: it must be the one Arbiter encodes with. */
function checkVocabulary(dir: string, tokenizer: keyof typeof TOKENIZERS, problems: string[]): void {
  const read = (file: string): Record<string, number> | null => {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) return null;
    try {
      const json = JSON.parse(fs.readFileSync(full, "utf8"));
      return file === "tokenizer.json" ? (json?.model?.vocab ?? null) : json;
    } catch {
      problems.push(`${file} is not JSON`);
      return null;
    }
  };
  for (const file of ["vocab.json", "tokenizer.json"]) {
    const vocab = read(file);
    if (!vocab) continue;
    const size = Object.keys(vocab).length + (file === "tokenizer.json" && vocab["<|endoftext|>"] === undefined ? 1 : 0);
    if (tokenizer === "gpt2-bpe" && (size !== 50257 || vocab["Ġthe"] !== 262)) {
      // GPT-2's vocabulary: 50,257 entries, "<|endoftext|>" last, " the" (Ġthe) at 262
      problems.push(`${file} is not GPT-2's BPE vocabulary (${size} entries): Arbiter encodes GPT-2-sized models with GPT-2's tokenizer, so a model with another vocabulary would read the wrong tokens`);
    }
    if (tokenizer === "byte-level" && (size !== 257 || vocab["<|endoftext|>"] !== 256)) {
      // hf-files.ts: one token per byte, <|endoftext|> = 256
      problems.push(`${file} is not Arbiter's byte-level vocabulary (${size} entries): Arbiter encodes this model one byte a token, so a model with another vocabulary would read the wrong tokens`);
    }
  }
}

/**
 * Checks a checkpoint folder without loading its weights; throws RegisterModelError listing
 * what is wrong. Registration runs it on its private copy; `label` is the folder the
 * messages name (the one the copy was made from).
 */
export function checkCheckpointFolder(dir: string, label = dir): CheckedFolder {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new RegisterModelError(`${label} is not a folder`);
  const configPath = path.join(dir, "config.json");
  const weightsPath = path.join(dir, "model.safetensors");
  const [configName, weightsName] = [path.join(label, "config.json"), path.join(label, "model.safetensors")];
  if (!fs.existsSync(configPath)) throw new RegisterModelError(`${label}: no config.json`);
  if (!fs.existsSync(weightsPath)) {
    const bin = fs.existsSync(path.join(dir, "pytorch_model.bin")) ? " (it has pytorch_model.bin: save it with safe_serialization=True, or convert it)" : "";
    throw new RegisterModelError(`${label}: no model.safetensors${bin}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(configPath, "utf8"));
  } catch {
    throw new RegisterModelError(`${configName} is not JSON`);
  }
  const parsed = gpt2ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RegisterModelError(`${configName} is not a GPT-2 config: ${parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ")}`);
  }
  const config = parsed.data;
  const problems: string[] = [];
  if (config.n_embd % config.n_head !== 0) problems.push(`n_embd ${config.n_embd} is not a multiple of n_head ${config.n_head}`);
  const tokenizer = config.arbiter_tokenizer ?? (config.vocab_size >= TOKENIZERS["gpt2-bpe"].vocab ? "gpt2-bpe" : "byte-level");
  const tok = TOKENIZERS[tokenizer];
  if (config.vocab_size < tok.vocab) problems.push(`vocab_size ${config.vocab_size} is smaller than the ${tokenizer} tokenizer's ${tok.vocab}`);
  if (config.eos_token_id !== tok.eos) problems.push(`eos_token_id ${config.eos_token_id} is not the ${tokenizer} tokenizer's end of text (${tok.eos})`);
  if (!config.arbiter_tokenizer && config.vocab_size !== TOKENIZERS["byte-level"].vocab && config.vocab_size < TOKENIZERS["gpt2-bpe"].vocab) {
    problems.push(`vocab_size ${config.vocab_size} fits neither of Arbiter's tokenizers (byte-level: 257, GPT-2's BPE: 50257 or more)`);
  }
  checkVocabulary(dir, tokenizer, problems);

  // the file must be able to hold the parameters the config describes, 2 bytes each at the
  // least (F16/BF16): counted, not listed, so a config of absurd sizes costs nothing
  const weightsBytes = fs.statSync(weightsPath).size;
  const count = parameterCount(config);
  const tooSmall = weightsBytes < 8 + 2 * count ? `model.safetensors is ${weightsBytes} bytes, too small for the ${count} parameters config.json describes (${2 * count} bytes at 16 bits each)` : null;
  if (problems.length === 0) {
    let header: Map<string, { dtype: string; shape: number[] }>;
    try {
      header = readSafetensorsHeader(weightsPath);
    } catch (err) {
      throw new RegisterModelError(`${weightsName}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const stored = new Map<string, number[]>();
    for (const [name, t] of header) {
      const canonical = canonicalName(name);
      if (canonical) stored.set(canonical, t.shape);
    }
    for (const [name, shape] of parameterShapes(config)) {
      const t = stored.get(name);
      if (!t) problems.push(`model.safetensors has no ${name}`);
      else if (JSON.stringify(t) !== JSON.stringify(shape)) problems.push(`${name} has shape ${JSON.stringify(t)}, config.json says ${JSON.stringify(shape)}`);
    }
  }
  if (tooSmall) problems.unshift(tooSmall);
  if (problems.length > 0) throw new RegisterModelError(`${label} is not a checkpoint Arbiter can load: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` and ${problems.length - 5} more` : ""}`);
  const files = ["config.json", "model.safetensors", ...TOKENIZER_FILES.filter((f) => fs.existsSync(path.join(dir, f)))];
  return { config, tokenizer, files };
}

export type RegisteredModel = {
  id: string;
  kind: ModelArtifact["kind"];
  name: string;
  /** policies only: the source name its answers carry */
  source: string | null;
  path: string;
  sizeBytes: number;
  sha256: string;
};

/** Serialises registrations of one name in one project (pg_advisory_xact_lock's class, "ArRg"). */
const REGISTER_LOCK_CLASS = 0x4172_5267;

/**
 * Copies `dir` into a private folder (copyModelFolder), checks the copy, and under a lock on
 * the name moves it into place and records it in one transaction (the folder removed again
 * if the row is not written, so there is no folder without its row). A name already
 * registered in the project, or a base model folder of that name, is refused.
 * `symlinks: false` (the HTTP route) refuses a folder or file that is a symbolic link, so a
 * request copies only what lies in the folder itself, and `within` is where the folder must
 * lie once opened; the CLI follows links (Hugging Face's cache keeps snapshots as links).
 */
export async function registerModelFolder(
  project: Pick<Project, "id">,
  opts: { kind: RegisterKind; dir: string; name?: string; symlinks?: boolean; within?: string },
): Promise<RegisteredModel> {
  const dir = path.resolve(opts.dir);
  const parsedName = modelName.safeParse(opts.name ?? path.basename(dir));
  if (!parsedName.success) throw new RegisterModelError(`name "${opts.name ?? path.basename(dir)}": ${parsedName.error.issues[0]!.message}; give --name`);
  const name = parsedName.data;
  const relative = registeredModelPath(project.id, name);
  const target = path.join(checkpointsDir(), relative);
  const taken = () => new RegisterModelError(`a model named "${name}" is already registered in this project`, true);
  if (fs.existsSync(target)) throw taken(); // before copying gigabytes; again under the lock
  // a models-directory folder of the same name is a second baseModel of that name (unless it is this very folder)
  const inModels = path.join(modelsDir(), name);
  // (a dir that is not there is refused as such by the copy)
  if (fs.existsSync(dir) && fs.existsSync(inModels) && fs.realpathSync(inModels) !== fs.realpathSync(dir)) throw new RegisterModelError(`"${name}" is already a base model folder in ${modelsDir()}: give another name`, true);

  const copy = await copyModelFolder(dir, { follow: opts.symlinks !== false, within: opts.within, into: checkpointsDir() });
  let moved = false;
  try {
    const checked = checkCheckpointFolder(copy.dir, dir);
    return await getDb().transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${REGISTER_LOCK_CLASS}, hashtext(${relative}))`);
      if (fs.existsSync(target)) throw taken();
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(copy.dir, target);
      moved = true;
      const source = opts.kind === "policy" ? await nextExternalSource(tx, project.id) : null;
      const [row] = await tx
        .insert(modelArtifacts)
        .values({
          projectId: project.id,
          roundId: null,
          kind: ARTIFACT_KIND[opts.kind],
          path: relative,
          config: {
            registered: true,
            name,
            registeredAs: opts.kind,
            from: dir,
            tokenizer: checked.tokenizer,
            files: checked.files,
            model: { n_layer: checked.config.n_layer, n_embd: checked.config.n_embd, n_head: checked.config.n_head, n_positions: checked.config.n_positions, vocab_size: checked.config.vocab_size },
            ...(source ? { source } : {}),
          },
          sizeBytes: copy.weightsBytes,
          sha256: copy.weightsSha256,
        })
        .returning({ id: modelArtifacts.id, kind: modelArtifacts.kind });
      return { id: row!.id, kind: row!.kind, name, source, path: relative, sizeBytes: copy.weightsBytes, sha256: copy.weightsSha256 };
    });
  } catch (err) {
    if (moved) fs.rmSync(target, { recursive: true, force: true }); // no folder without its row
    throw err;
  } finally {
    fs.rmSync(copy.dir, { recursive: true, force: true }); // gone already once moved
  }
}
