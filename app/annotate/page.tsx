import Link from "next/link";
import { requirePermission } from "@/lib/auth/current-user";
import { annotatorProgress } from "@/lib/projects/annotator-stats";
import { projectProgress, projectsOfUser } from "@/lib/projects/projects";

export const dynamic = "force-dynamic";

export default async function AnnotateHome() {
  const user = await requirePermission("annotate", "/annotate");
  const mine = await projectsOfUser(user.id);
  const rows = await Promise.all(
    mine.map(async (p) => ({ project: p, progress: await projectProgress(p.id), me: await annotatorProgress(p.id, user.id) })),
  );
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Your projects</h1>
      {rows.length === 0 ? (
        <p className="text-slate-600">You are not a member of any project yet. An admin adds you to projects.</p>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {rows.map(({ project, progress, me }) => (
            <li key={project.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
              <Link href={`/annotate/${project.id}`} className="font-medium text-brand-700 underline">
                {project.name}
              </Link>
              <span className="text-xs text-slate-500">{project.mode === "pairwise" ? "pairwise" : `rank ${project.k}`}</span>
              <span className="ml-auto text-sm text-slate-600">
                you: {me.judged} judged · project: {progress.complete}/{progress.comparisons} complete
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
