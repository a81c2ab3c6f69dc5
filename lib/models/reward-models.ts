// Model artifacts and reward models as the web app sees them: the artifacts the trainer recorded, and scores
// computed by a live trainer's scoring server (trainer/serve/score-server.ts) over HTTP.
import { and, desc, eq, gte, isNotNull, isNull } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { env } from "@/lib/config/env";
import { getDb } from "@/lib/db/client";
import { modelArtifacts, rounds, trainerWorkers, type ModelArtifact } from "@/lib/db/schema";
import { TRAINER_STALE_MS } from "@/lib/health";
import { INTERNAL_HEADER, internalKey } from "./internal-auth";
import { checkpointPath } from "./paths";

export type Message = { role: "system" | "user" | "assistant"; content: string };

export async function getArtifact(id: string): Promise<ModelArtifact | undefined> {
  const [row] = await getDb().select().from(modelArtifacts).where(eq(modelArtifacts.id, id));
  return row;
}

/** The artifact's folder on the checkpoint volume. */
export function artifactDir(artifact: ModelArtifact): string {
  return checkpointPath(artifact.path);
}

export async function getRewardModel(id: string): Promise<ModelArtifact | undefined> {
  const [row] = await getDb()
    .select()
    .from(modelArtifacts)
    .where(and(eq(modelArtifacts.id, id), eq(modelArtifacts.kind, "reward_model")));
  return row;
}

export async function listRewardModels(projectId: string): Promise<(ModelArtifact & { roundNumber: number | null })[]> {
  const rows = await getDb()
    .select({ artifact: modelArtifacts, roundNumber: rounds.number })
    .from(modelArtifacts)
    .leftJoin(rounds, eq(rounds.id, modelArtifacts.roundId))
    .where(and(eq(modelArtifacts.projectId, projectId), eq(modelArtifacts.kind, "reward_model")))
    .orderBy(desc(modelArtifacts.createdAt));
  return rows.map((r) => ({ ...r.artifact, roundNumber: r.roundNumber }));
}

/** A live trainer's scoring URL, freshest first; null when none is running. */
async function scorerUrl(): Promise<string | null> {
  const [w] = await getDb()
    .select({ url: trainerWorkers.url })
    .from(trainerWorkers)
    .where(and(isNull(trainerWorkers.stoppedAt), isNotNull(trainerWorkers.url), gte(trainerWorkers.lastSeen, new Date(Date.now() - TRAINER_STALE_MS))))
    .orderBy(desc(trainerWorkers.lastSeen))
    .limit(1);
  return w?.url ?? null;
}

export async function scoreWithRewardModel(model: ModelArtifact, messages: Message[], responses: string[]): Promise<number[]> {
  const secret = env().NEXTAUTH_SECRET;
  const url = await scorerUrl();
  if (!url || !secret) throw new ApiError("unavailable", "No trainer is running to score with; start one (npm start runs it)");
  let res: Response;
  try {
    res = await fetch(`${url}/score`, {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: internalKey(secret) },
      body: JSON.stringify({ artifactPath: model.path, messages, responses }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new ApiError("unavailable", `The trainer did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  const body = (await res.json().catch(() => ({}))) as { scores?: number[]; error?: string };
  if (!res.ok || !body.scores) throw new ApiError(res.status === 400 ? "invalid_input" : "internal", `Scoring failed: ${body.error ?? res.status}`);
  return body.scores;
}
