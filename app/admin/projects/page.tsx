import Link from "next/link";
import { requirePermission } from "@/lib/auth/current-user";
import { listProjects, projectProgress } from "@/lib/projects/projects";
import { createDemoProjectAction, createProjectAction } from "./actions";
import { NEW_PROJECT, ProjectForm } from "./project-form";

export default async function ProjectsPage() {
  await requirePermission("projects.manage", "/admin/projects");
  const projects = await listProjects();
  const progress = await Promise.all(projects.map((p) => projectProgress(p.id)));
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Projects</h1>
      {projects.length > 0 && (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {projects.map((p, i) => (
            <li key={p.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
              <Link href={`/admin/projects/${p.id}`} className="font-medium text-brand-700 underline">
                {p.name}
              </Link>
              <span className="text-xs text-slate-500">{p.mode === "pairwise" ? "pairwise" : `k-wise, k = ${p.k}`} · redundancy {p.redundancy}</span>
              <span className="ml-auto text-sm text-slate-600">
                {progress[i]!.complete}/{progress[i]!.comparisons} comparisons complete · {progress[i]!.judgments} judgments
              </span>
            </li>
          ))}
        </ul>
      )}
      <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 className="font-medium">Try the whole loop</h2>
        <p className="mt-1 text-sm text-slate-600">
          A demo project whose small model learns to write digits as words: 1,500 prompts, demonstrations right 70% of the time, and
          round settings that run SFT, the reward model, PPO, evaluation and new answers in minutes on two CPU cores. Judge it by hand, or
          with simulated annotators: <code>npx arbiter sim --oracle number-words …</code> (or run <code>npm run demo</code>).
        </p>
        <form action={createDemoProjectAction} className="mt-3">
          <button type="submit" className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700">
            Create demo project
          </button>
        </form>
      </section>
      <section>
        <h2 className="mb-2 font-medium">New project</h2>
        <ProjectForm action={createProjectAction} initial={NEW_PROJECT} submitLabel="Create project" />
      </section>
    </div>
  );
}
