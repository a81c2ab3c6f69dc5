// Model artifacts and reward models as the web app sees them: the artifacts the trainer recorded, and scores
// computed by a live trainer's scoring server (trainer/serve/score-server.ts) over HTTP.
import { and, desc, eq, inArray } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { modelArtifacts, rounds, type ModelArtifact } from "@/lib/db/schema";
import { checkpointPath } from "./paths";
import { postToTrainer } from "./trainer-client";

export type Message = { role: "system" | "user" | "assistant"; content: string };

export async function getArtifact(id: string): Promise<ModelArtifact | undefined> {
  const [row] = await getDb().select().from(modelArtifacts).where(eq(modelArtifacts.id, id));
  return row;
}

/** The artifact's folder on the checkpoint volume. */
export function artifactDir(artifact: ModelArtifact): string {
  return checkpointPath(artifact.path);
}

/** An artifact of one of `kinds` by id; undefined for other kinds and unknown ids. */
export async function getArtifactOfKind(id: string, kinds: readonly ModelArtifact["kind"][]): Promise<ModelArtifact | undefined> {
  const [row] = await getDb()
    .select()
    .from(modelArtifacts)
    .where(and(eq(modelArtifacts.id, id), inArray(modelArtifacts.kind, [...kinds])));
  return row;
}

/** The project's artifacts of `kinds`, newest first, with their round's number. */
export async function listArtifacts(projectId: string, kinds: readonly ModelArtifact["kind"][]): Promise<(ModelArtifact & { roundNumber: number | null })[]> {
  const rows = await getDb()
    .select({ artifact: modelArtifacts, roundNumber: rounds.number })
    .from(modelArtifacts)
    .leftJoin(rounds, eq(rounds.id, modelArtifacts.roundId))
    .where(and(eq(modelArtifacts.projectId, projectId), inArray(modelArtifacts.kind, [...kinds])))
    .orderBy(desc(modelArtifacts.createdAt));
  return rows.map((r) => ({ ...r.artifact, roundNumber: r.roundNumber }));
}

export const getRewardModel = (id: string) => getArtifactOfKind(id, ["reward_model"]);
export const listRewardModels = (projectId: string) => listArtifacts(projectId, ["reward_model"]);

export async function scoreWithRewardModel(model: ModelArtifact, messages: Message[], responses: string[]): Promise<number[]> {
  const { scores } = await postToTrainer<{ scores: number[] }>("/score", { artifactPath: model.path, messages, responses }, { what: "Scoring", timeoutMs: 60_000 });
  return scores;
}
