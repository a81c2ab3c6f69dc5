// New answers from one source (a policy: Arbiter's own `policy@round-N` from the generate
// phase, or one trained elsewhere, `policy@external-N`) joining comparisons with the
// existing responses to the same prompts, so annotators judge them next and the
// leaderboard rates the source. Inside the caller's transaction. An answer that is empty,
// a near-duplicate of every other response, or already there is left out.
import { createHash } from "node:crypto";
import { inArray } from "drizzle-orm";
import type { Tx } from "@/lib/db/client";
import { comparisonResponses, comparisons, responses, type Project } from "@/lib/db/schema";
import { areNearDuplicates, responseKey } from "./form-comparisons";

/** Existing responses each new answer is compared with in a pairwise project (that many pairs). */
export const PAIRWISE_OPPONENTS = 2;

export type NewAnswer = { promptId: string; text: string };

/** Control characters (NUL above all, which PostgreSQL text refuses) out; newlines and tabs kept. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, "");
}

export async function joinComparisons(
  tx: Tx,
  project: Pick<Project, "id" | "mode" | "k" | "redundancy">,
  answers: NewAnswer[],
  source: string,
  opts: {
    roundId?: string | null;
    /** sorts other sources, the ones to compare with first (one response per source is used) */
    opponentOrder: (a: string, b: string) => number;
  },
): Promise<{ responses: number; comparisons: number }> {
  const written = { responses: 0, comparisons: 0 };
  if (answers.length === 0) return written;
  const promptIds = [...new Set(answers.map((a) => a.promptId))];
  const existing: { id: string; promptId: string; text: string; source: string }[] = [];
  for (let i = 0; i < promptIds.length; i += 1000) {
    existing.push(
      ...(await tx
        .select({ id: responses.id, promptId: responses.promptId, text: responses.text, source: responses.source })
        .from(responses)
        .where(inArray(responses.promptId, promptIds.slice(i, i + 1000)))),
    );
  }
  const byPrompt = new Map<string, typeof existing>();
  for (const r of existing) byPrompt.set(r.promptId, [...(byPrompt.get(r.promptId) ?? []), r]);
  const pairwise = project.mode === "pairwise";
  const opponentsWanted = pairwise ? PAIRWISE_OPPONENTS : project.k - 1;
  for (const a of answers) {
    const others = (byPrompt.get(a.promptId) ?? []).filter((r) => r.source !== source && !areNearDuplicates(r.text, a.text));
    const bySource = [...new Map(others.map((r) => [r.source, r])).values()].sort((x, y) => opts.opponentOrder(x.source, y.source));
    if (bySource.length < (pairwise ? 1 : project.k - 1)) continue;
    const [inserted] = await tx
      .insert(responses)
      .values({ promptId: a.promptId, text: a.text, source, roundId: opts.roundId ?? null, contentHash: createHash("sha256").update(a.text).digest("hex") })
      .onConflictDoNothing()
      .returning({ id: responses.id });
    if (!inserted) continue;
    written.responses++;
    const opponents = bySource.slice(0, opponentsWanted).map((o) => o.id);
    const sets = pairwise ? opponents.map((o) => [inserted.id, o]) : [[inserted.id, ...opponents]];
    for (const ids of sets) {
      const [c] = await tx
        .insert(comparisons)
        .values({ projectId: project.id, promptId: a.promptId, size: ids.length, responseKey: responseKey(ids), required: project.redundancy, roundId: opts.roundId ?? null })
        .onConflictDoNothing()
        .returning({ id: comparisons.id });
      if (!c) continue;
      await tx.insert(comparisonResponses).values(ids.map((responseId, position) => ({ comparisonId: c.id, responseId, position })));
      written.comparisons++;
    }
  }
  return written;
}
