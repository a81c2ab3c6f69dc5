// A GPT-2-family checkpoint folder trained elsewhere (config.json + model.safetensors +
// tokenizer files, the layout trainer/checkpoint/hf-gpt2.ts reads) registered as one of a
// project's models: checked without loading its weights (the config's fields, every
// tensor's name and shape in the safetensors header against the config, the tokenizer
// Arbiter would use for it), copied into the checkpoint store under
// <project>/registered/<name>/, and recorded as a model artifact with its size and SHA-256
// like the ones rounds write.
// - kind "policy": an artifact of kind `policy` with its own source name
//   `policy@external-N` (lib/import/external-policy.ts numbers both): the playground samples
//   it, and a round's generate phase that finds it the newest policy answers under that name.
// - kind "base": an artifact of kind `reference_policy` (the model a round's reference
//   policy is when no SFT model exists, trainer/rounds/round-models.ts).
// Either can be named as a round's baseModel (trainer/rounds/base-model.ts looks in the
// project's registered folders after the models directory).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { modelArtifacts, type ModelArtifact, type Project } from "@/lib/db/schema";
import { nextExternalSource } from "@/lib/import/external-policy";
import { writeArtifactDir } from "@/trainer/rounds/artifacts";
import { gpt2ConfigSchema, type GPT2Config } from "@/trainer/model/config";
import { canonicalName, parameterShapes, TOKENIZER_FILES } from "@/trainer/model/layout";
import { readSafetensorsHeader } from "@/trainer/checkpoint/safetensors";
import { checkpointsDir, modelsDir, registeredModelPath } from "./paths";

export const REGISTER_KINDS = ["base", "policy"] as const;
export type RegisterKind = (typeof REGISTER_KINDS)[number];
const ARTIFACT_KIND: Record<RegisterKind, ModelArtifact["kind"]> = { base: "reference_policy", policy: "policy" };

/** What round settings accept as a baseModel name (lib/rounds/round-settings.ts). */
export const modelName = z
  .string()
  .regex(/^[\w.-]{1,100}$/, "a name of letters, digits, '.', '_' or '-' (it becomes a folder name)")
  .refine((s) => s !== "." && s !== "..", "a name of letters, digits, '.', '_' or '-' (it becomes a folder name)");

/** The folder is not a checkpoint Arbiter can load, or the name is taken: the message says which. */
export class RegisterModelError extends Error {
  constructor(
    message: string,
    /** the name is taken (HTTP 409), rather than the folder being wrong (400) */
    readonly conflict = false,
  ) {
    super(message);
  }
}

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

/** Checks a checkpoint folder without loading its weights; throws RegisterModelError listing what is wrong. */
export function checkCheckpointFolder(dir: string): CheckedFolder {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new RegisterModelError(`${dir} is not a folder`);
  const configPath = path.join(dir, "config.json");
  const weightsPath = path.join(dir, "model.safetensors");
  if (!fs.existsSync(configPath)) throw new RegisterModelError(`${dir}: no config.json`);
  if (!fs.existsSync(weightsPath)) {
    const bin = fs.existsSync(path.join(dir, "pytorch_model.bin")) ? " (it has pytorch_model.bin: save it with safe_serialization=True, or convert it)" : "";
    throw new RegisterModelError(`${dir}: no model.safetensors${bin}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(configPath, "utf8"));
  } catch {
    throw new RegisterModelError(`${configPath} is not JSON`);
  }
  const parsed = gpt2ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RegisterModelError(`${configPath} is not a GPT-2 config: ${parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ")}`);
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

  let header: Map<string, { dtype: string; shape: number[] }>;
  try {
    header = readSafetensorsHeader(weightsPath);
  } catch (err) {
    throw new RegisterModelError(`${weightsPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const stored = new Map<string, number[]>();
  for (const [name, t] of header) {
    const canonical = canonicalName(name);
    if (canonical) stored.set(canonical, t.shape);
  }
  if (problems.length === 0) {
    for (const [name, shape] of parameterShapes(config)) {
      const t = stored.get(name);
      if (!t) problems.push(`model.safetensors has no ${name}`);
      else if (JSON.stringify(t) !== JSON.stringify(shape)) problems.push(`${name} has shape ${JSON.stringify(t)}, config.json says ${JSON.stringify(shape)}`);
    }
  }
  if (problems.length > 0) throw new RegisterModelError(`${dir} is not a checkpoint Arbiter can load: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` and ${problems.length - 5} more` : ""}`);
  const files = ["config.json", "model.safetensors", ...TOKENIZER_FILES.filter((f) => fs.existsSync(path.join(dir, f)))];
  return { config, tokenizer, files };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest("hex");
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
 * Checks `dir`, copies it into the checkpoint store and records it, under a lock on the
 * name: the copy is made under a temporary name and renamed into place (writeArtifactDir)
 * inside the transaction that writes the row, and removed again if that fails, so there is
 * no folder without its row. A name already registered in the project, or a base model
 * folder of that name, is refused. `symlinks: false` (the HTTP route) refuses files that are
 * symbolic links, so a request copies only what lies in the folder itself; the CLI follows
 * them (Hugging Face's cache keeps snapshots as links).
 */
export async function registerModelFolder(project: Pick<Project, "id">, opts: { kind: RegisterKind; dir: string; name?: string; symlinks?: boolean }): Promise<RegisteredModel> {
  const dir = path.resolve(opts.dir);
  const parsedName = modelName.safeParse(opts.name ?? path.basename(dir));
  if (!parsedName.success) throw new RegisterModelError(`name "${opts.name ?? path.basename(dir)}": ${parsedName.error.issues[0]!.message}; give --name`);
  const name = parsedName.data;
  const checked = checkCheckpointFolder(dir);
  if (opts.symlinks === false) {
    const linked = checked.files.filter((f) => fs.lstatSync(path.join(dir, f)).isSymbolicLink());
    if (linked.length > 0) throw new RegisterModelError(`${dir}: ${linked.join(", ")} ${linked.length === 1 ? "is a symbolic link" : "are symbolic links"}: copy the files into the folder`);
  }
  const relative = registeredModelPath(project.id, name);
  const target = path.join(checkpointsDir(), relative);
  // a models-directory folder of the same name would shadow it as a baseModel (unless it is this very folder)
  const inModels = path.join(modelsDir(), name);
  if (fs.existsSync(inModels) && fs.realpathSync(inModels) !== fs.realpathSync(dir)) throw new RegisterModelError(`"${name}" is already a base model folder in ${modelsDir()}: give another name`, true);
  const sizeBytes = fs.statSync(path.join(dir, "model.safetensors")).size;
  let copied = false;
  try {
    return await getDb().transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${REGISTER_LOCK_CLASS}, hashtext(${relative}))`);
      if (fs.existsSync(target)) throw new RegisterModelError(`a model named "${name}" is already registered in this project`, true);
      await writeArtifactDir(target, async (tmp) => {
        fs.mkdirSync(tmp, { recursive: true });
        for (const f of checked.files) fs.copyFileSync(path.join(dir, f), path.join(tmp, f));
      });
      copied = true;
      const sha256 = await sha256Of(path.join(target, "model.safetensors"));
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
          sizeBytes,
          sha256,
        })
        .returning({ id: modelArtifacts.id, kind: modelArtifacts.kind });
      return { id: row!.id, kind: row!.kind, name, source, path: relative, sizeBytes, sha256 };
    });
  } catch (err) {
    if (copied) fs.rmSync(target, { recursive: true, force: true }); // no folder without its row
    throw err;
  }
}
