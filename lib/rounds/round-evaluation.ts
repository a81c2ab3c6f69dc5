// What GET /api/v1/rounds/:id/evaluation answers: the evaluate phase's samples (every
// model's answer to every held-out prompt, with its reward-model score and KL), read from
// evaluation.jsonl in the round's checkpoint folder, with each prompt's text.
import fs from "node:fs";
import path from "node:path";
import { eq, inArray } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { prompts, rounds } from "@/lib/db/schema";
import { checkpointPath } from "@/lib/models/paths";

export type EvaluationSample = { promptId: string; prompt: unknown; model: string; modelPath: string; sample: number; text: string; finished: boolean; score: number; kl: number };

/** undefined: no such round; null: the round has no evaluation (yet). */
export async function roundEvaluation(roundId: string): Promise<EvaluationSample[] | null | undefined> {
  const db = getDb();
  const [round] = await db.select({ projectId: rounds.projectId, number: rounds.number }).from(rounds).where(eq(rounds.id, roundId));
  if (!round) return undefined;
  const file = path.join(checkpointPath(path.join(round.projectId, `round-${round.number}`)), "evaluation.jsonl");
  if (!fs.existsSync(file)) return null;
  const rows = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Omit<EvaluationSample, "prompt">);
  const ids = [...new Set(rows.map((r) => r.promptId))];
  const texts = ids.length ? await db.select({ id: prompts.id, messages: prompts.messages }).from(prompts).where(inArray(prompts.id, ids)) : [];
  const byId = new Map(texts.map((t) => [t.id, t.messages]));
  return rows.map((r) => ({ ...r, prompt: byId.get(r.promptId) ?? null }));
}
