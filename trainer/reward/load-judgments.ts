// The judgments a reward model trains on: the project's, up to the round's watermark,
// without excluded annotators (their rows stay in the database), each with its prompt and
// its comparison's responses. With weighting "reliability", each judgment carries its
// annotator's measured reliability: gold accuracy where there is enough gold evidence,
// else agreement with the others' majority, else 1; clamped to [0.05, 1] so nobody's work
// counts for nothing. Imported preferences count 1.
import { sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { computeAgreement, qualityBarOf } from "@/lib/quality/project-agreement";
import { loadJudgments } from "@/lib/quality/judgment-data";
import type { Message } from "../tokenizer/format";
import type { JudgmentRecord } from "./examples";

export async function loadRewardJudgments(
  db: Db,
  opts: { projectId: string; watermark: Date; weighting: "none" | "reliability"; qualityBar: Record<string, number> },
): Promise<JudgmentRecord[]> {
  const { rows } = await db.execute<{
    annotator_id: string;
    origin: string;
    prompt_id: string;
    messages: Message[];
    ranking: string[][];
    strength: number | null;
    responses: { id: string; text: string }[];
  }>(sql`
    select j.annotator_id, j.origin, c.prompt_id, p.messages, j.ranking, j.strength,
      (select json_agg(json_build_object('id', r.id, 'text', r.text) order by cr.position)
         from comparison_responses cr join responses r on r.id = cr.response_id
        where cr.comparison_id = c.id) as responses
    from judgments j
    join comparisons c on c.id = j.comparison_id
    join prompts p on p.id = c.prompt_id
    where j.project_id = ${opts.projectId}
      and j.created_at <= ${opts.watermark.toISOString()}
      and not exists (
        select 1 from project_members m
        where m.project_id = j.project_id and m.user_id = j.annotator_id and m.excluded_at is not null)
    order by j.created_at, j.id`);

  const weights = new Map<string, number>();
  if (opts.weighting === "reliability") {
    const bar = qualityBarOf({ qualityBar: opts.qualityBar });
    for (const a of computeAgreement(await loadJudgments(opts.projectId), bar).annotators) {
      const measured = a.goldPairs >= bar.minEvidence ? a.goldAccuracy : a.majorityPairs >= bar.minEvidence ? a.majorityAgreement : null;
      weights.set(a.annotatorId, Math.min(1, Math.max(0.05, measured ?? 1)));
    }
  }
  return rows.map((r) => ({
    promptId: r.prompt_id,
    messages: r.messages,
    responses: r.responses,
    ranking: r.ranking,
    strength: r.strength,
    weight: r.origin === "imported" ? 1 : (weights.get(r.annotator_id) ?? 1),
  }));
}
