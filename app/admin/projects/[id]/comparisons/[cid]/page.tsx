import Link from "next/link";
import { notFound } from "next/navigation";
import { SafeMarkdown } from "@/app/components/safe-markdown";
import { Conversation } from "@/app/annotate/[projectId]/conversation";
import { isUuid } from "@/lib/api/uuid-param";
import { requirePermission } from "@/lib/auth/current-user";
import { comparisonDetail } from "@/lib/projects/annotator-stats";
import { listRewardModels, scoreWithRewardModel } from "@/lib/models/reward-models";

export const dynamic = "force-dynamic";

const STRENGTH = ["", "slightly", "clearly", "much"];

export default async function ComparisonPage({ params }: { params: Promise<{ id: string; cid: string }> }) {
  const { id, cid } = await params;
  await requirePermission("judgments.read", `/admin/projects/${id}/comparisons/${cid}`);
  const detail = isUuid(cid) ? await comparisonDetail(cid) : undefined;
  if (!detail || detail.comparison.projectId !== id) notFound();
  const letter = new Map(detail.responses.map((r, i) => [r.id, "ABCDEFGHI"[i]!]));
  // Reward scores from the project's newest reward model, when there is one and a trainer to run it.
  const [rewardModel] = await listRewardModels(id);
  let rewards: number[] | null = null;
  let rewardNote: string | null = null;
  if (rewardModel) {
    try {
      rewards = await scoreWithRewardModel(rewardModel, detail.prompt, detail.responses.map((r) => r.text));
    } catch (err) {
      rewardNote = err instanceof Error ? err.message : String(err);
    }
  }
  const show = (ranking: string[][]) => ranking.map((g) => g.map((x) => letter.get(x)).join(" = ")).join(" ≻ ");
  return (
    <div className="min-w-0 space-y-4">
      <Link href={`/admin/projects/${id}`} className="text-sm text-brand-700 underline">
        ← project
      </Link>
      <h1 className="text-xl font-semibold">
        Comparison {detail.comparison.isGold && <span className="rounded bg-amber-100 px-2 text-sm text-amber-800">gold: {show(detail.comparison.goldRanking ?? [])}</span>}
      </h1>
      <Conversation messages={detail.prompt} />
      {rewardModel && (
        <p className="text-xs text-slate-500" data-testid="reward-model-note">
          Reward scores from the round {rewardModel.roundNumber ?? "?"} reward model{rewardNote ? `: not available (${rewardNote})` : " (higher = preferred)"}.
        </p>
      )}
      <div className="grid min-w-0 gap-3 md:grid-cols-2">
        {detail.responses.map((r, i) => (
          <article key={r.id} className="min-w-0 rounded-lg border border-slate-200 bg-white p-3">
            <div className="mb-1 text-xs font-semibold text-slate-500">
              {letter.get(r.id)} · {r.source}
              {rewards && (
                <span className="ml-2 rounded bg-brand-50 px-1.5 py-0.5 text-brand-700" data-testid="reward-score">
                  reward {rewards[i]!.toFixed(3)}
                </span>
              )}
            </div>
            <SafeMarkdown text={r.text} />
          </article>
        ))}
      </div>
      <h2 className="font-medium">
        Judgments ({detail.judgments.length} of {detail.comparison.required} wanted)
      </h2>
      <div className="grid gap-3 md:grid-cols-2 lg:grid-cols-3" data-testid="comparison-judgments">
        {detail.judgments.map((j) => (
          <div key={j.id} className="rounded-lg border border-slate-200 bg-white p-3 text-sm">
            <div className="font-medium">{show(j.ranking)}</div>
            <div className="text-xs text-slate-500">
              {j.annotator} · {j.origin}
              {j.strength ? ` · ${STRENGTH[j.strength]} better` : ""}
              {j.bothBad ? " · both bad" : ""} · shown {j.shownOrder.map((x) => letter.get(x)).join("")}
              {j.durationMs ? ` · ${(j.durationMs / 1000).toFixed(1)} s` : ""}
            </div>
            {j.criteria && (
              <div className="mt-1 text-xs">
                {Object.entries(j.criteria).map(([k, r]) => (
                  <div key={k}>
                    {k}: {show(r)}
                  </div>
                ))}
              </div>
            )}
            {j.rationale && <p className="mt-1 italic text-slate-700">“{j.rationale}”</p>}
          </div>
        ))}
      </div>
    </div>
  );
}
