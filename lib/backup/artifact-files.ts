// Model artifacts' files in backups and bundles. Each registered artifact is a folder under
// the checkpoint root (config.json, model.safetensors, tokenizer files, metrics…); a
// backup carries every file with its SHA-256, and a restore writes them to a staging
// folder, checks each hash (and the registered weights' hash) and only then moves them
// into place.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { checkpointPath, checkpointsDir } from "@/lib/models/paths";
import type { SectionReader, SectionWriter } from "./section-stream";

export type ArtifactRow = { id: string; path: string; sha256: string | null };
/** A file's section header: `file` is relative to the checkpoint root, with "/" separators. */
export type FileHeader = { file: string; bytes: number; sha256: string; included: boolean };

/** What went wrong with artifacts' files; a backup reports these, a restore refuses. */
export type ArtifactProblem = { artifactId: string; path: string; problem: string };

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}

export async function sha256OfFile(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Name inside the checkpoint root, "/"-separated on every system. */
function relativeName(abs: string): string {
  return path.relative(checkpointsDir(), abs).split(path.sep).join("/");
}

/**
 * Writes each artifact's files (their bytes when `include`, else the names and hashes
 * alone); returns how many, and the artifacts whose folder is missing or whose weights do
 * not match their registered SHA-256.
 */
export async function writeArtifactFiles(out: SectionWriter, artifacts: ArtifactRow[], include: boolean): Promise<{ files: number; problems: ArtifactProblem[] }> {
  const problems: ArtifactProblem[] = [];
  let files = 0;
  for (const a of artifacts) {
    const dir = checkpointPath(a.path);
    if (!existsSync(dir)) {
      problems.push({ artifactId: a.id, path: a.path, problem: "folder missing" });
      continue;
    }
    for (const abs of walk(dir)) {
      const sha256 = await sha256OfFile(abs);
      if (path.basename(abs) === "model.safetensors" && a.sha256 && sha256 !== a.sha256) {
        problems.push({ artifactId: a.id, path: a.path, problem: "model.safetensors does not match its registered SHA-256" });
      }
      const bytes = statSync(abs).size;
      await out.line({ file: relativeName(abs), bytes, sha256, included: include } satisfies FileHeader);
      if (include) {
        for await (const chunk of createReadStream(abs)) await out.write(chunk as Buffer);
        await out.write("\n");
      }
      files++;
    }
  }
  return { files, problems };
}

/**
 * Reads one file section into `staging` (bytes included) or checks the file already in
 * place (referenced); throws on a hash that does not match.
 */
export async function readArtifactFile(input: SectionReader, header: FileHeader, staging: string): Promise<void> {
  const target = checkpointPath(header.file); // refuses names that leave the root
  if (!header.included) {
    if (!existsSync(target)) throw new Error(`artifact file ${header.file} is not in the backup and not at ${target}: copy the checkpoints folder over first`);
    const sha256 = await sha256OfFile(target);
    if (sha256 !== header.sha256) throw new Error(`artifact file ${header.file} at ${target} does not match the backup's SHA-256`);
    return;
  }
  const staged = path.join(staging, ...header.file.split("/"));
  mkdirSync(path.dirname(staged), { recursive: true });
  const h = createHash("sha256");
  await pipeline(
    (async function* () {
      for await (const chunk of input.readBytes(header.bytes)) {
        h.update(chunk);
        yield chunk;
      }
    })(),
    createWriteStream(staged),
  );
  if (h.digest("hex") !== header.sha256) throw new Error(`artifact file ${header.file} is damaged: its SHA-256 does not match the backup's`);
}

/** A staging folder inside the checkpoint root (same file system: the move is a rename). */
export function stagingFolder(): string {
  const dir = path.join(checkpointsDir(), `.restore-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Moves everything staged into place, replacing files of the same name. */
export function moveStagedIntoPlace(staging: string): void {
  if (!existsSync(staging)) return;
  for (const abs of walk(staging)) {
    const target = path.join(checkpointsDir(), path.relative(staging, abs));
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(abs, target);
  }
  rmSync(staging, { recursive: true, force: true });
}

/** The registered weights' hash of every artifact whose files were restored or referenced. */
export async function checkRegisteredHashes(artifacts: ArtifactRow[]): Promise<ArtifactProblem[]> {
  const problems: ArtifactProblem[] = [];
  for (const a of artifacts) {
    const weights = path.join(checkpointPath(a.path), "model.safetensors");
    if (!a.sha256 || !existsSync(weights)) continue;
    if ((await sha256OfFile(weights)) !== a.sha256) problems.push({ artifactId: a.id, path: a.path, problem: "model.safetensors does not match its registered SHA-256" });
  }
  return problems;
}
