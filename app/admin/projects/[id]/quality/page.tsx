import Link from "next/link";
import { z } from "zod";
import { DataTable } from "@/app/components/data-table";
import { Stat } from "@/app/components/stat";
import { notFound } from "next/navigation";
import { requirePermission } from "@/lib/auth/current-user";
import { getProject, listMembers } from "@/lib/projects/projects";
import { qualityBarOf } from "@/lib/quality/project-agreement";
import { cachedAgreement, cachedLeaderboard } from "@/lib/quality/statistics-cache";
import { ExcludeButton } from "./exclude-button";

export const dynamic = "force-dynamic";

// an unknown value shows the plain leaderboard rather than an error page
const querySchema = z.object({ control: z.enum(["none", "length"]).catch("none").default("none") });

const pct = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(0)}%`);
const num = (x: number | null, d = 2) => (x === null ? "–" : x.toFixed(d));

export default async function QualityPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ control?: string }> }) {
  const { id } = await params;
  const { control } = querySchema.parse(await searchParams);
  await requirePermission("judgments.read", `/admin/projects/${id}/quality`);
  const project = await getProject(id);
  if (!project) notFound();
  const bar = qualityBarOf(project);
  const [board, agreement, members] = await Promise.all([cachedLeaderboard(id, control), cachedAgreement(id, bar), listMembers(id)]);
  const lo = Math.min(...board.rows.map((r) => r.ciLow), 1000);
  const hi = Math.max(...board.rows.map((r) => r.ciHigh), 1000);
  const x = (v: number) => (hi === lo ? 50 : 5 + (90 * (v - lo)) / (hi - lo));
  const qualityById = new Map(agreement.annotators.map((a) => [a.annotatorId, a]));

  return (
    <div className="min-w-0 space-y-6">
      <Link href={`/admin/projects/${id}`} className="text-sm text-brand-700 underline">
        ← {project.name}
      </Link>
      <h1 className="text-2xl font-semibold">Leaderboard and agreement</h1>

      <section className="space-y-2">
        <div className="flex flex-wrap items-baseline gap-3">
          <h2 className="font-medium">
            Models ({board.judgments} judgments, {board.outcomes} pairwise outcomes,{" "}
            {board.model === "luce" ? `tie parameters δ = ${board.tieParameters.slice(1).map((d) => num(d)).join(", ")}` : `tie parameter ν = ${num(board.tieParameter)}`})
          </h2>
          <Link href={`/admin/projects/${id}/quality${control === "length" ? "" : "?control=length"}`} className="text-sm text-brand-700 underline">
            {control === "length" ? "Show plain ratings" : "Control for response length"}
          </Link>
          {board.lengthCoefficient !== null && (
            <span className="text-sm text-slate-600">length effect β = {num(board.lengthCoefficient)} (logit per unit of normalised length difference)</span>
          )}
        </div>
        <DataTable testId="leaderboard" headers={["Rank", "Source", "Rating (95% CI)", { label: "", className: "w-1/3 px-3 py-2" }, "Outcomes"]}>
          {board.rows.map((r) => (
            <tr key={r.source} className="border-t border-slate-100">
              <td className="px-3 py-2">{r.rank}</td>
              <td className="px-3 py-2 font-medium">{r.source}</td>
              <td className="px-3 py-2 tabular-nums">
                {r.rating.toFixed(0)} <span className="text-slate-500">({r.ciLow.toFixed(0)} – {r.ciHigh.toFixed(0)})</span>
              </td>
              <td className="px-3 py-2">
                <svg viewBox="0 0 100 10" className="h-3 w-full" aria-label={`interval ${r.ciLow.toFixed(0)} to ${r.ciHigh.toFixed(0)}`}>
                  <line x1={x(r.ciLow)} x2={x(r.ciHigh)} y1="5" y2="5" stroke="#64748b" strokeWidth="1" />
                  <circle cx={x(r.rating)} cy="5" r="2" fill="#2456d6" />
                </svg>
              </td>
              <td className="px-3 py-2 tabular-nums">{r.n}</td>
            </tr>
          ))}
        </DataTable>
        <p className="text-xs text-slate-500">
          {board.model === "luce"
            ? `Davidson–Luce model over whole rankings, tie groups as evidence (δ per group size)${board.leftOut > 0 ? `; ${board.leftOut} judgments ranking one source twice are left out` : ""}`
            : "Davidson model over every pair of responses from different sources (ties count as evidence)"}
          ; ratings on the Elo scale (400 points = 10:1 odds); intervals from 100 bootstrap resamples of the judgments; ranks separate only sources whose
          intervals do not overlap.
        </p>
      </section>

      {board.winRate.length > 1 && (
        <section className="space-y-2">
          <h2 className="font-medium">Win rate (row against column, ties as half)</h2>
          <div className="overflow-x-auto">
            <table className="text-xs" data-testid="win-rate">
              <thead>
                <tr>
                  <th />
                  {board.rows.map((r) => (
                    <th key={r.source} className="px-2 py-1 font-medium">
                      {r.source}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {board.rows.map((r, a) => (
                  <tr key={r.source}>
                    <th className="px-2 py-1 text-right font-medium">{r.source}</th>
                    {board.winRate[a]!.map((w, b) => (
                      <td
                        key={b}
                        className="px-2 py-1 text-center tabular-nums"
                        style={{ background: w === null ? "#f1f5f9" : `hsl(${Math.round(w * 120)} 70% 85%)` }}
                      >
                        {w === null ? "" : w.toFixed(2)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <section className="grid gap-3 sm:grid-cols-3" data-testid="agreement">
        <Stat label="Pairwise agreement" value={pct(agreement.pairwiseAgreement)} hint="pairs of annotators agreeing on a pair of responses" />
        <Stat label="Krippendorff's alpha (ordinal)" value={num(agreement.krippendorffAlpha)} hint="on the −3..3 preference scale" />
        <Stat label="Fleiss' kappa" value={num(agreement.fleissKappa)} hint={`${agreement.fleissSubjects} comparisons with equal raters`} />
      </section>

      <section>
        <h2 className="mb-2 font-medium">Annotators</h2>
        <DataTable testId="annotator-quality" headers={["Annotator", "Judgments", "With majority", "Gold", "Median time", "First shown wins", "Status", ""]}>
          {members.map((m) => {
            const q = qualityById.get(m.userId);
            return (
              <tr key={m.userId} className="border-t border-slate-100" data-testid={`quality-${m.email}`}>
                <td className="px-3 py-2">{m.email}</td>
                <td className="px-3 py-2">{q?.judgments ?? (m.excluded ? "excluded" : 0)}</td>
                <td className="px-3 py-2">{pct(q?.majorityAgreement ?? null)}</td>
                <td className="px-3 py-2">{pct(q?.goldAccuracy ?? null)}</td>
                <td className="px-3 py-2">{q?.medianMs == null ? "–" : `${(q.medianMs / 1000).toFixed(1)} s`}</td>
                <td className="px-3 py-2">{pct(q?.firstShownWins ?? null)}</td>
                <td className="px-3 py-2">
                  {m.excluded ? <span className="text-slate-500">excluded</span> : q?.flagged ? <span className="text-red-700">flagged: {q.reasons.join("; ")}</span> : "ok"}
                </td>
                <td className="px-3 py-2 text-right">
                  <ExcludeButton projectId={id} userId={m.userId} excluded={m.excluded} email={m.email} />
                </td>
              </tr>
            );
          })}
        </DataTable>
        <p className="mt-1 text-xs text-slate-500">
          Flagged below {Math.round(bar.minMajorityAgreement * 100)}% agreement with the majority or {Math.round(bar.minGoldAccuracy * 100)}% on gold, once there are{" "}
          {bar.minEvidence} response pairs of evidence (project settings).
        </p>
        <p className="mt-1 text-xs text-slate-500">Excluded annotators' judgments stay stored and leave the leaderboard, agreement, training and exports; include them again at any time.</p>
      </section>
    </div>
  );
}
