// New answers from one source (a policy: Arbiter's own `policy@round-N` from the generate
// phase, or one trained elsewhere, `policy@external-N`) joining comparisons with the
// existing responses to the same prompts, so annotators judge them next and the
// leaderboard rates the source. Inside the caller's transaction, a batch of answers a
// statement. An answer that is empty, a near-duplicate of every other response, or
// already there is left out.
import { inArray } from "drizzle-orm";
import type { Tx } from "@/lib/db/client";
import { contentHash as hashOfText } from "@/lib/db/content-hash";
import { comparisonResponses, comparisons, responses, type Project } from "@/lib/db/schema";
import { areNearDuplicates, responseKey } from "./form-comparisons";

/** Answers written a statement at a time (at most 8 opponents each: well under PostgreSQL's 65,535 parameters a statement). */
const WRITE_BATCH = 500;

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
  const planned = new Set<string>(); // prompt and text hash: one answer twice is written once
  for (let i = 0; i < answers.length; i += WRITE_BATCH) {
    // 1. which answers have enough other sources to be compared with, and which ones
    const batch: { answer: NewAnswer; key: string; contentHash: string; opponents: string[] }[] = [];
    for (const a of answers.slice(i, i + WRITE_BATCH)) {
      const others = (byPrompt.get(a.promptId) ?? []).filter((r) => r.source !== source && !areNearDuplicates(r.text, a.text));
      const bySource = [...new Map(others.map((r) => [r.source, r])).values()].sort((x, y) => opts.opponentOrder(x.source, y.source));
      if (bySource.length < (pairwise ? 1 : project.k - 1)) continue;
      const contentHash = hashOfText(a.text);
      const key = `${a.promptId}\u0000${contentHash}`;
      if (planned.has(key)) continue;
      planned.add(key);
      batch.push({ answer: a, key, contentHash, opponents: bySource.slice(0, opponentsWanted).map((o) => o.id) });
    }
    if (batch.length === 0) continue;
    // 2. the responses, one statement; one already there is left out with its comparisons
    const inserted = await tx
      .insert(responses)
      .values(batch.map((b) => ({ promptId: b.answer.promptId, text: b.answer.text, source, roundId: opts.roundId ?? null, contentHash: b.contentHash })))
      .onConflictDoNothing()
      .returning({ id: responses.id, promptId: responses.promptId, contentHash: responses.contentHash });
    const idOf = new Map(inserted.map((r) => [`${r.promptId}\u0000${r.contentHash}`, r.id]));
    written.responses += inserted.length;
    // 3. their comparisons, one statement, then the comparisons' members
    const sets: { promptId: string; ids: string[] }[] = [];
    for (const b of batch) {
      const id = idOf.get(b.key);
      if (!id) continue;
      for (const ids of pairwise ? b.opponents.map((o) => [id, o]) : [[id, ...b.opponents]]) sets.push({ promptId: b.answer.promptId, ids });
    }
    if (sets.length === 0) continue;
    const made = await tx
      .insert(comparisons)
      .values(sets.map((c) => ({ projectId: project.id, promptId: c.promptId, size: c.ids.length, responseKey: responseKey(c.ids), required: project.redundancy, roundId: opts.roundId ?? null })))
      .onConflictDoNothing()
      .returning({ id: comparisons.id, responseKey: comparisons.responseKey });
    const comparisonOf = new Map(made.map((c) => [c.responseKey, c.id]));
    const members = sets.flatMap((c) => {
      const comparisonId = comparisonOf.get(responseKey(c.ids));
      return comparisonId ? c.ids.map((responseId, position) => ({ comparisonId, responseId, position })) : [];
    });
    if (members.length > 0) await tx.insert(comparisonResponses).values(members);
    written.comparisons += made.length;
  }
  return written;
}
