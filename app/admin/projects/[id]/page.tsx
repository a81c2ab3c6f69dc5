import Link from "next/link";
import { DataTable } from "@/app/components/data-table";
import { Stat } from "@/app/components/stat";
import { notFound } from "next/navigation";
import { requirePermission } from "@/lib/auth/current-user";
import { countDemonstrations } from "@/lib/demonstrations/demonstrations";
import { annotatorStats, recentJudgments } from "@/lib/projects/annotator-stats";
import { getProject, listMembers, projectProgress } from "@/lib/projects/projects";
import { addMembersAction } from "../actions";
import { ExportPanel } from "./export-panel";
import { ImportPanel } from "./import-panel";
import { MembersForm } from "./members-form";
import { RemoveMemberButton } from "./remove-member-button";

export const dynamic = "force-dynamic";

function seconds(ms: number | null) {
  return ms === null ? "–" : `${(ms / 1000).toFixed(1)} s`;
}

export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requirePermission("projects.manage", `/admin/projects/${id}`);
  const project = await getProject(id);
  if (!project) notFound();
  const [progress, stats, members, recent, demonstrations] = await Promise.all([
    projectProgress(id),
    annotatorStats(id),
    listMembers(id),
    recentJudgments(id, { limit: 30 }),
    countDemonstrations(id),
  ]);
  const pct = progress.comparisons ? Math.round((100 * progress.complete) / progress.comparisons) : 0;
  return (
    <div className="min-w-0 space-y-6">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-semibold">{project.name}</h1>
        <span className="text-sm text-slate-500">
          {project.mode === "pairwise" ? "pairwise" : `k-wise, k = ${project.k}`} · redundancy {project.redundancy}
          {project.criteria.length > 0 && ` · criteria: ${project.criteria.join(", ")}`}
        </span>
        <Link href={`/admin/projects/${id}/quality`} className="ml-auto text-sm text-brand-700 underline">
          Leaderboard and agreement
        </Link>
        <Link href={`/admin/projects/${id}/rounds`} className="text-sm text-brand-700 underline">
          Rounds and reward models
        </Link>
        <Link href={`/admin/projects/${id}/playground`} className="text-sm text-brand-700 underline">
          Try the model
        </Link>
        <Link href={`/admin/projects/${id}/settings`} className="text-sm text-brand-700 underline">
          Settings
        </Link>
      </div>

      <section className="grid gap-3 sm:grid-cols-3 lg:grid-cols-5" data-testid="progress">
        <Stat label="Comparisons complete" value={`${progress.complete} / ${progress.comparisons}`} hint={`${pct}%`} />
        <Stat label="Judgments" value={`${progress.judgments}`} hint={`${progress.judgmentsNeeded} wanted in all`} />
        <Stat label="Judgments last hour" value={`${progress.judgmentsLastHour}`} />
        <Stat label="Gold comparisons" value={`${progress.gold}`} hint={`${Math.round(project.goldRate * 100)}% of tasks`} />
        <Stat label="Demonstrations" value={`${demonstrations}`} hint="for supervised fine-tuning" />
      </section>

      <ImportPanel projectId={id} />

      <ExportPanel projectId={id} criteria={project.criteria} />

      <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 className="font-medium">Members ({members.length})</h2>
        <MembersForm action={addMembersAction.bind(null, id)} />
        {members.length > 0 && (
          <ul className="divide-y divide-slate-100 text-sm text-slate-600" data-testid="members">
            {members.map((m) => (
              <li key={m.userId} className="flex items-center justify-between gap-3 py-1">
                <span>
                  {m.email}
                  {m.groupName ? ` (${m.groupName})` : ""}
                </span>
                <RemoveMemberButton projectId={id} userId={m.userId} email={m.email} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section>
        <h2 className="mb-2 font-medium">Annotators</h2>
        <DataTable testId="annotator-stats" headers={["Annotator", "Judgments", "Last hour", "Median time", "Last active"]}>
          {stats.map((s) => (
            <tr key={s.userId} className="border-t border-slate-100">
              <td className="px-3 py-2">{s.email}</td>
              <td className="px-3 py-2">{s.judgments}</td>
              <td className="px-3 py-2">{s.lastHour}</td>
              <td className="px-3 py-2">{seconds(s.medianMs)}</td>
              <td className="px-3 py-2 text-slate-500">{s.lastAt ? new Date(s.lastAt).toLocaleString() : "–"}</td>
            </tr>
          ))}
          {stats.length === 0 && (
            <tr>
              <td colSpan={5} className="px-3 py-4 text-center text-slate-500">
                No judgments yet.
              </td>
            </tr>
          )}
        </DataTable>
      </section>

      <section>
        <h2 className="mb-2 font-medium">Recent judgments</h2>
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm shadow-sm" data-testid="recent-judgments">
          {recent.map((j) => (
            <li key={j.id} className="flex min-w-0 flex-wrap gap-x-3 px-3 py-2">
              <Link href={`/admin/projects/${id}/comparisons/${j.comparisonId}`} className="min-w-0 truncate text-brand-700 underline">
                {j.promptPreview || "(prompt)"}
              </Link>
              <span className="text-slate-500">{j.annotator}</span>
              {j.bothBad && <span className="text-red-700">both bad</span>}
              {j.rationale && <span className="min-w-0 break-words italic text-slate-600">“{j.rationale}”</span>}
              <span className="ml-auto text-xs text-slate-400">{new Date(j.createdAt).toLocaleTimeString()}</span>
            </li>
          ))}
          {recent.length === 0 && <li className="px-3 py-4 text-center text-slate-500">None yet.</li>}
        </ul>
      </section>
    </div>
  );
}
