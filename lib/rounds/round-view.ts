// What GET /api/v1/rounds/:id answers (API.md): status, phase, the latest value of every
// metric, the full metric history, and the round's artifacts.
import { asc, desc, eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { modelArtifacts, roundMetrics, rounds, type Round } from "@/lib/db/schema";

export type RoundView = {
  id: string;
  projectId: string;
  number: number;
  status: Round["status"];
  phase: string | null;
  trigger: Round["trigger"];
  config: Record<string, unknown>;
  judgmentWatermark: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error?: string;
  /** latest value per "phase/name" */
  metrics: Record<string, number>;
  history: { phase: string; step: number; name: string; value: number; at: string }[];
  artifacts: { id: string; kind: string; metrics: Record<string, number>; sizeBytes: number | null; sha256: string | null; createdAt: string }[];
};

export async function roundView(id: string): Promise<RoundView | undefined> {
  const db = getDb();
  const [round] = await db.select().from(rounds).where(eq(rounds.id, id));
  if (!round) return undefined;
  const history = await db.select().from(roundMetrics).where(eq(roundMetrics.roundId, id)).orderBy(asc(roundMetrics.id));
  const artifacts = await db.select().from(modelArtifacts).where(eq(modelArtifacts.roundId, id)).orderBy(desc(modelArtifacts.createdAt));
  const metrics: Record<string, number> = {};
  for (const m of history) metrics[`${m.phase}/${m.name}`] = m.value;
  return {
    id: round.id,
    projectId: round.projectId,
    number: round.number,
    status: round.status,
    phase: round.phase,
    trigger: round.trigger,
    config: round.config,
    judgmentWatermark: round.judgmentWatermark.toISOString(),
    createdAt: round.createdAt.toISOString(),
    startedAt: round.startedAt?.toISOString() ?? null,
    finishedAt: round.finishedAt?.toISOString() ?? null,
    ...(round.error ? { error: round.error } : {}),
    metrics,
    history: history.map((m) => ({ phase: m.phase, step: m.step, name: m.name, value: m.value, at: m.at.toISOString() })),
    artifacts: artifacts.map((a) => ({ id: a.id, kind: a.kind, metrics: a.metrics, sizeBytes: a.sizeBytes, sha256: a.sha256, createdAt: a.createdAt.toISOString() })),
  };
}

export async function listRounds(projectId: string): Promise<Round[]> {
  return getDb().select().from(rounds).where(eq(rounds.projectId, projectId)).orderBy(desc(rounds.number));
}
