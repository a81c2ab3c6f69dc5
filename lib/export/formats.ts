// Export records (API.md, "Export records") built from one judgment at a time, in the
// shapes TRL's RewardTrainer / DPOTrainer (pairwise), k-wise trainers (kwise) and SFT
// trainers read. Pure functions: lib/export/stream.ts feeds them from the database.
import type { Message } from "@/lib/db/schema";

export type ExportFormat = "pairwise" | "kwise" | "raw" | "sft";

export type ExportJudgment = {
  id: string;
  comparisonId: string;
  annotator: string; // pseudonym
  origin: string;
  ranking: string[][];
  strength: number | null;
  bothBad: boolean;
  criteria: Record<string, string[][]> | null;
  rationale: string | null;
  shownOrder: string[];
  durationMs: number | null;
  createdAt: string;
  promptId: string;
  prompt: Message[];
  responses: { id: string; text: string; source: string }[];
};

/** A conversation as one prompt string (TRL's standard format) when it is not a single user turn. */
export function promptText(messages: Message[]): string {
  if (messages.length === 1 && messages[0]!.role === "user") return messages[0]!.content;
  return messages.map((m) => `${m.role === "user" ? "User" : m.role === "assistant" ? "Assistant" : "System"}: ${m.content}`).join("\n\n");
}

function meta(j: ExportJudgment, extra: Record<string, unknown> = {}) {
  return { judgmentId: j.id, comparisonId: j.comparisonId, promptId: j.promptId, annotator: j.annotator, origin: j.origin, createdAt: j.createdAt, ...extra };
}

/**
 * One record per preferred pair: across tie groups a preference, within a group a tie
 * (emitted with `tie: true` only when asked). `margin` is the judgment's strength for a
 * pairwise verdict, and the distance in places for k-wise rankings.
 */
export function pairwiseRecords(j: ExportJudgment, opts: { conversational: boolean; ties: boolean }): object[] {
  const text = new Map(j.responses.map((r) => [r.id, r]));
  const asPrompt = opts.conversational ? j.prompt : promptText(j.prompt);
  const asAnswer = (id: string) => (opts.conversational ? [{ role: "assistant", content: text.get(id)!.text }] : text.get(id)!.text);
  const out: object[] = [];
  const pairwise = j.responses.length === 2;
  j.ranking.forEach((group, g) => {
    if (opts.ties) {
      for (let x = 0; x < group.length; x++)
        for (let y = x + 1; y < group.length; y++) {
          out.push({ prompt: asPrompt, chosen: asAnswer(group[x]!), rejected: asAnswer(group[y]!), tie: true, meta: meta(j, { chosenSource: text.get(group[x]!)!.source, rejectedSource: text.get(group[y]!)!.source }) });
        }
    }
    for (let h = g + 1; h < j.ranking.length; h++) {
      for (const winner of group) {
        for (const loser of j.ranking[h]!) {
          const margin = pairwise ? (j.strength ?? undefined) : h - g;
          out.push({
            prompt: asPrompt,
            chosen: asAnswer(winner),
            rejected: asAnswer(loser),
            ...(margin !== undefined ? { margin } : {}),
            tie: false,
            meta: meta(j, { chosenSource: text.get(winner)!.source, rejectedSource: text.get(loser)!.source, bothBad: j.bothBad || undefined }),
          });
        }
      }
    }
  });
  return out;
}

/** The whole ranking: responses in the comparison's order, ranking as tie groups of indexes. */
export function kwiseRecord(j: ExportJudgment): object {
  const index = new Map(j.responses.map((r, k) => [r.id, k]));
  return {
    prompt: j.prompt,
    responses: j.responses.map((r) => r.text),
    ranking: j.ranking.map((g) => g.map((id) => index.get(id)!)),
    meta: meta(j, { sources: j.responses.map((r) => r.source) }),
  };
}

export function rawRecord(j: ExportJudgment): object {
  return {
    id: j.id,
    comparisonId: j.comparisonId,
    annotator: j.annotator,
    origin: j.origin,
    prompt: j.prompt,
    responses: j.responses,
    shownOrder: j.shownOrder,
    ranking: j.ranking,
    strength: j.strength,
    bothBad: j.bothBad,
    criteria: j.criteria,
    rationale: j.rationale,
    durationMs: j.durationMs,
    createdAt: j.createdAt,
  };
}

/**
 * SFT pairs from the judgments of one comparison: the response most often ranked alone in
 * first place, unless that is shared (no clear best) or every judge said both were bad.
 * `conversational`: the prompt as its messages and the completion as one assistant message
 * (TRL's conversational prompt-completion form), instead of text.
 */
export function sftRecord(judgments: ExportJudgment[], opts: { conversational?: boolean } = {}): object | null {
  if (judgments.length === 0) return null;
  const votes = new Map<string, number>();
  for (const j of judgments) {
    if (j.bothBad) continue;
    const top = j.ranking[0]!;
    if (top.length === 1) votes.set(top[0]!, (votes.get(top[0]!) ?? 0) + 1);
  }
  const ranked = [...votes].sort((a, b) => b[1] - a[1]);
  if (ranked.length === 0 || (ranked.length > 1 && ranked[0]![1] === ranked[1]![1])) return null;
  const best = judgments[0]!.responses.find((r) => r.id === ranked[0]![0])!;
  return {
    prompt: opts.conversational ? judgments[0]!.prompt : promptText(judgments[0]!.prompt),
    completion: opts.conversational ? [{ role: "assistant", content: best.text }] : best.text,
    meta: { comparisonId: judgments[0]!.comparisonId, promptId: judgments[0]!.promptId, source: best.source, votes: ranked[0]![1], judgments: judgments.length },
  };
}
