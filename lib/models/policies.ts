// Models that write text (policies from PPO, SFT models) as the web app sees them: the
// project's saved ones, and samples from them computed by a live trainer
// (trainer/serve/policy-sampler.ts) over HTTP.
import type { ModelArtifact } from "@/lib/db/schema";
import { getArtifactOfKind, listArtifacts, type Message } from "./reward-models";
import { postToTrainer } from "./trainer-client";

export const GENERATIVE_KINDS = ["policy", "sft"] as const satisfies readonly ModelArtifact["kind"][];

export type SamplingRequest = { n: number; maxNewTokens: number; temperature: number; topP: number; seed: number };
export type Sample = { text: string; tokens: number; finished: boolean };

/** A policy or SFT model by id; undefined for other kinds and unknown ids. */
export const getGenerativeModel = (id: string) => getArtifactOfKind(id, GENERATIVE_KINDS);

/** The project's policies and SFT models, newest first, with their round's number. */
export const listGenerativeModels = (projectId: string) => listArtifacts(projectId, GENERATIVE_KINDS);

/** n answers to the conversation, sampled by a live trainer (503 `unavailable` without one). */
export async function sampleFromModel(model: ModelArtifact, messages: Message[], opts: SamplingRequest): Promise<Sample[]> {
  // 8 answers of 512 tokens from a GPT-2-sized model take minutes on two CPU cores
  const { samples } = await postToTrainer<{ samples: Sample[] }>("/generate", { artifactPath: model.path, messages, ...opts }, { what: "Sampling", timeoutMs: 600_000 });
  return samples;
}
