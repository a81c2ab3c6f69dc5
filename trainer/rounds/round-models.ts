// Which weights each phase starts from (Ouyang et al. 2022, §3.5; Touvron et al. 2023 §3.2):
// - the reference policy: the project's newest SFT model, else a base model folder the
//   admin named; never a randomly initialised model (PPO on one trains noise);
// - the reward model's trunk: the SFT model when there is one (a fresh scalar head on top),
//   else the base model;
// - PPO's start: with init "previous", the newest policy trained against this same
//   reference (iterated RLHF), else the reference itself.
import type { Db } from "@/lib/db/client";
import type { ModelArtifact } from "@/lib/db/schema";
import type { RoundSettings } from "@/lib/rounds/round-settings";
import type { ScratchModel } from "@/lib/rounds/round-settings";
import { checkpointPath, registeredModelPath } from "@/lib/models/paths";
import { loadCheckpoint } from "../checkpoint/hf-gpt2";
import { latestArtifact, registeredSha256, registeredSha256At } from "./artifacts";
import { type BaseModel, loadBaseModel } from "./base-model";

export type LoadedModel = BaseModel & { artifactId: string | null };

function fromArtifact(a: ModelArtifact, label: string): LoadedModel {
  const dir = checkpointPath(a.path);
  return { name: `${label} ${a.path}`, dir, artifactId: a.id, ...loadCheckpoint(dir, { sha256: registeredSha256(a) }) };
}

/** The named base model, a registered one checked against its recorded SHA-256. */
async function baseModel(db: Db, projectId: string, name: string | null, seed: number, scratch?: ScratchModel): Promise<LoadedModel> {
  const sha256 = name ? await registeredSha256At(db, registeredModelPath(projectId, name)) : undefined;
  return { ...loadBaseModel(name, seed, scratch, projectId, sha256), artifactId: null };
}

/** The project's newest SFT model, else the named base model, else null (nothing trained to start from). */
export async function loadReference(db: Db, projectId: string, settings: RoundSettings): Promise<LoadedModel | null> {
  const sft = await latestArtifact(db, projectId, "sft");
  if (sft) return fromArtifact(sft, "sft");
  if (settings.baseModel) return baseModel(db, projectId, settings.baseModel, 0);
  return null;
}

export const NO_REFERENCE =
  "the policy would start from a randomly initialised model, whose answers are noise: run an sft phase first (import demonstrations, or set sft.includeJudgedBest) or name a trained baseModel";

/** The identity of a reference, as policies record it. */
export function referenceKey(ref: LoadedModel): string {
  return ref.artifactId ?? `base:${ref.name}`;
}

/** PPO's start: the newest policy trained against `ref` (init "previous"), else null (start from ref). */
export async function loadPreviousPolicy(db: Db, projectId: string, ref: LoadedModel): Promise<LoadedModel | null> {
  const policy = await latestArtifact(db, projectId, "policy");
  if (!policy || policy.config.reference !== referenceKey(ref)) return null;
  return fromArtifact(policy, "policy");
}

/** Trunk weights for a new model (SFT or reward model): the SFT model, the named base, or Arbiter's small model from a seed. */
export async function loadTrunk(db: Db, projectId: string, settings: RoundSettings, seed: number, preferSft: boolean): Promise<LoadedModel> {
  if (preferSft) {
    const sft = await latestArtifact(db, projectId, "sft");
    if (sft) return fromArtifact(sft, "sft");
  }
  return baseModel(db, projectId, settings.baseModel, seed, settings.scratchModel);
}
