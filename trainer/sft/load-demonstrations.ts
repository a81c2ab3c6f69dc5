// What the SFT phase trains on: the project's imported demonstrations and, when the round
// asks (sft.includeJudgedBest), the consensus-best response of each judged comparison (the
// `sft` export's rule, lib/export/formats.ts sftRecord: the response most often ranked alone
// in first place, unless that is shared or every judge said "both bad"). Prompts of the
// held-out evaluation slice are left out (lib/rounds/held-out.ts).
import { sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { isHeldOutPrompt } from "@/lib/rounds/held-out";
import type { Message } from "../tokenizer/format";

export type Demonstration = { promptId: string; messages: Message[]; completion: string; origin: "demonstration" | "judged-best" };

/**
 * `rewardValidation`: prompts in the reward model's validation split. Their judged-best
 * responses stay out of SFT: the SFT model is the reward model's start, and having trained
 * on the winners of those comparisons it would make the reward model's validation accuracy
 * look better than it is.
 */
export async function loadDemonstrations(
  db: Db,
  opts: { projectId: string; watermark: Date; includeJudgedBest: boolean; rewardValidation: (promptId: string) => boolean },
): Promise<Demonstration[]> {
  const { rows } = await db.execute<{ prompt_id: string; messages: Message[]; completion: string }>(sql`
    select d.prompt_id, p.messages, d.completion
    from demonstrations d join prompts p on p.id = d.prompt_id
    where d.project_id = ${opts.projectId} and d.created_at <= ${opts.watermark.toISOString()}
    order by d.created_at, d.id`);
  const out: Demonstration[] = rows.map((r) => ({ promptId: r.prompt_id, messages: r.messages, completion: r.completion, origin: "demonstration" }));
  if (opts.includeJudgedBest) out.push(...(await judgedBest(db, opts.projectId, opts.watermark)).filter((d) => !opts.rewardValidation(d.promptId)));
  return out.filter((d) => !isHeldOutPrompt(d.promptId));
}

async function judgedBest(db: Db, projectId: string, watermark: Date): Promise<Demonstration[]> {
  const { rows } = await db.execute<{ comparison_id: string; prompt_id: string; messages: Message[]; ranking: string[][]; both_bad: boolean }>(sql`
    select c.id as comparison_id, c.prompt_id, p.messages, j.ranking, j.both_bad
    from judgments j join comparisons c on c.id = j.comparison_id join prompts p on p.id = c.prompt_id
    where j.project_id = ${projectId} and j.created_at <= ${watermark.toISOString()} and not c.is_gold
      and not exists (select 1 from project_members m where m.project_id = j.project_id and m.user_id = j.annotator_id and m.excluded_at is not null)
    order by c.id`);
  const byComparison = new Map<string, { promptId: string; messages: Message[]; votes: Map<string, number> }>();
  for (const r of rows) {
    const c = byComparison.get(r.comparison_id) ?? { promptId: r.prompt_id, messages: r.messages, votes: new Map() };
    byComparison.set(r.comparison_id, c);
    const top = r.ranking[0];
    if (!r.both_bad && top?.length === 1) c.votes.set(top[0]!, (c.votes.get(top[0]!) ?? 0) + 1);
  }
  const winners: { promptId: string; messages: Message[]; responseId: string }[] = [];
  for (const c of byComparison.values()) {
    const ranked = [...c.votes].sort((a, b) => b[1] - a[1]);
    if (ranked.length === 0 || (ranked.length > 1 && ranked[0]![1] === ranked[1]![1])) continue;
    winners.push({ promptId: c.promptId, messages: c.messages, responseId: ranked[0]![0] });
  }
  if (!winners.length) return [];
  const ids = [...new Set(winners.map((w) => w.responseId))];
  const { rows: texts } = await db.execute<{ id: string; text: string }>(sql`select id, text from responses where id = any(${`{${ids.join(",")}}`}::uuid[])`);
  const text = new Map(texts.map((t) => [t.id, t.text]));
  // one completion per (prompt, text): a response that won several comparisons counts once
  const seen = new Set<string>();
  return winners.flatMap((w) => {
    const completion = text.get(w.responseId);
    const key = `${w.promptId}\u0000${completion}`;
    if (completion === undefined || seen.has(key)) return [];
    seen.add(key);
    return [{ promptId: w.promptId, messages: w.messages, completion, origin: "judged-best" as const }];
  });
}
