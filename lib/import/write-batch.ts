// Writes a batch of validated import records inside the caller's transaction, a few
// multi-row statements per batch (not per record): prompts → demonstrations → responses →
// comparisons → imported judgments. Every insert is "on conflict do nothing" on a content
// key, so a record imported twice finds its rows instead of duplicating them.
import { createHash, randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "@/lib/db/client";
import { comparisonResponses, comparisons, demonstrations, judgments, prompts, responses, type Project } from "@/lib/db/schema";
import { formKSubsets, formPairs, responseKey } from "@/lib/comparisons/form-comparisons";
import type { ImportRecord } from "./records";

export type ImportCounts = { records: number; prompts: number; responses: number; comparisons: number; judgments: number; demonstrations: number };

export const emptyCounts = (): ImportCounts => ({ records: 0, prompts: 0, responses: 0, comparisons: 0, judgments: 0, demonstrations: 0 });

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

type PlannedComparison = { ids: string[]; ranking?: string[][]; gold: boolean; bothBad?: boolean; criteria?: Record<string, string[][]> };

export async function writeBatch(
  tx: Tx,
  project: Project,
  records: ImportRecord[],
  importedAnnotator: string,
  counts: ImportCounts,
): Promise<void> {
  counts.records += records.length;

  // 1. prompts, keyed by a hash of the conversation
  const promptHash = records.map((r) => sha256(JSON.stringify(r.messages)));
  const uniquePrompts = new Map(records.map((r, i) => [promptHash[i]!, r.messages]));
  const newPrompts = await tx
    .insert(prompts)
    .values([...uniquePrompts].map(([contentHash, messages]) => ({ projectId: project.id, messages, contentHash })))
    .onConflictDoNothing()
    .returning({ id: prompts.id });
  counts.prompts += newPrompts.length;
  const promptRows = await tx
    .select({ id: prompts.id, hash: prompts.contentHash })
    .from(prompts)
    .where(and(eq(prompts.projectId, project.id), inArray(prompts.contentHash, [...uniquePrompts.keys()])));
  const promptId = new Map(promptRows.map((p) => [p.hash, p.id]));

  // 2. demonstrations (SFT completions), keyed by (prompt, text hash); they form no comparisons
  const demos = new Map<string, { projectId: string; promptId: string; completion: string; source: string; contentHash: string }>();
  records.forEach((r, i) => {
    if (!r.demonstration) return;
    const pid = promptId.get(promptHash[i]!)!;
    const contentHash = sha256(r.demonstration.text);
    demos.set(`${pid}\u0000${contentHash}`, { projectId: project.id, promptId: pid, completion: r.demonstration.text, source: r.demonstration.source, contentHash });
  });
  if (demos.size > 0) {
    const inserted = await tx.insert(demonstrations).values([...demos.values()]).onConflictDoNothing().returning({ id: demonstrations.id });
    counts.demonstrations += inserted.length;
  }

  // 3. responses, keyed by (prompt, source, text hash)
  const responseKeyOf = (pid: string, source: string, text: string) => `${pid}\u0000${source}\u0000${sha256(text)}`;
  const wanted = new Map<string, { promptId: string; text: string; source: string; contentHash: string; ratings: Record<string, number> | null }>();
  records.forEach((r, i) => {
    const pid = promptId.get(promptHash[i]!)!;
    for (const resp of r.responses) {
      wanted.set(responseKeyOf(pid, resp.source, resp.text), { promptId: pid, text: resp.text, source: resp.source, contentHash: sha256(resp.text), ratings: resp.ratings ?? null });
    }
  });
  const responseId = new Map<string, string>();
  if (wanted.size > 0) {
    const inserted = await tx.insert(responses).values([...wanted.values()]).onConflictDoNothing().returning({ id: responses.id });
    counts.responses += inserted.length;
    const rows = await tx
      .select({ id: responses.id, promptId: responses.promptId, source: responses.source, hash: responses.contentHash })
      .from(responses)
      .where(and(inArray(responses.promptId, [...new Set([...wanted.values()].map((w) => w.promptId))]), inArray(responses.contentHash, [...new Set([...wanted.values()].map((w) => w.contentHash))])));
    for (const row of rows) responseId.set(`${row.promptId}\u0000${row.source}\u0000${row.hash}`, row.id);
  }

  // 4. comparisons: explicit for preferences and rankings, formed for plain responses
  const planned: (PlannedComparison & { promptId: string })[] = [];
  records.forEach((r, i) => {
    if (r.responses.length < 2) return;
    const pid = promptId.get(promptHash[i]!)!;
    const ids = r.responses.map((resp) => responseId.get(responseKeyOf(pid, resp.source, resp.text))!);
    if (r.ranking) {
      const toIds = (ranking: number[][]) => ranking.map((g) => g.map((idx) => ids[idx]!));
      const criteria = r.criteria && Object.fromEntries(Object.entries(r.criteria).map(([name, ranking]) => [name, toIds(ranking)]));
      planned.push({ promptId: pid, ids, gold: r.gold, ranking: toIds(r.ranking), bothBad: r.bothBad, criteria });
      return;
    }
    const candidates = [...new Set(ids)].map((id) => ({ id, text: r.responses[ids.indexOf(id)]!.text }));
    const sets = project.mode === "pairwise" ? formPairs(candidates) : formKSubsets(candidates, project.k);
    for (const set of sets) planned.push({ promptId: pid, ids: set, gold: false });
  });
  if (planned.length === 0) return;
  const byKey = new Map(planned.map((p) => [responseKey(p.ids), p]));
  const newComparisons = await tx
    .insert(comparisons)
    .values(
      [...byKey].map(([key, p]) => ({
        projectId: project.id,
        promptId: p.promptId,
        size: p.ids.length,
        responseKey: key,
        required: project.redundancy,
        isGold: p.gold,
        goldRanking: p.gold ? p.ranking! : null,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: comparisons.id, key: comparisons.responseKey });
  counts.comparisons += newComparisons.length;
  if (newComparisons.length > 0) {
    await tx.insert(comparisonResponses).values(
      newComparisons.flatMap((c) => byKey.get(c.key)!.ids.map((responseId, position) => ({ comparisonId: c.id, responseId, position }))),
    );
  }

  // 5. existing preferences and rankings become judgments by the imported annotator
  const judged = [...byKey].filter(([, p]) => p.ranking && !p.gold);
  if (judged.length === 0) return;
  const comparisonRows = await tx
    .select({ id: comparisons.id, key: comparisons.responseKey })
    .from(comparisons)
    .where(and(eq(comparisons.projectId, project.id), inArray(comparisons.responseKey, judged.map(([key]) => key))));
  const newJudgments = await tx
    .insert(judgments)
    .values(
      comparisonRows.map((c) => {
        const p = byKey.get(c.key)!;
        return {
          clientId: randomUUID(),
          comparisonId: c.id,
          projectId: project.id,
          annotatorId: importedAnnotator,
          origin: "imported" as const,
          ranking: p.ranking!,
          bothBad: p.bothBad ?? false,
          criteria: p.criteria && Object.keys(p.criteria).length > 0 ? p.criteria : null,
          shownOrder: p.ids,
        };
      }),
    )
    .onConflictDoNothing()
    .returning({ comparisonId: judgments.comparisonId });
  counts.judgments += newJudgments.length;
  if (newJudgments.length > 0) {
    await tx
      .update(comparisons)
      .set({ judgmentCount: sql`${comparisons.judgmentCount} + 1` })
      .where(inArray(comparisons.id, newJudgments.map((j) => j.comparisonId)));
  }
}
