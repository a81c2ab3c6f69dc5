import { eq } from "drizzle-orm";
import { requirePermission } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { projectMembers, projects } from "@/lib/db/schema";

export const dynamic = "force-dynamic";

export default async function AnnotateHome() {
  const user = await requirePermission("annotate", "/annotate");
  const mine = await getDb()
    .select({ id: projects.id, name: projects.name, mode: projects.mode })
    .from(projectMembers)
    .innerJoin(projects, eq(projects.id, projectMembers.projectId))
    .where(eq(projectMembers.userId, user.id));
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Your projects</h1>
      {mine.length === 0 ? (
        <p className="text-slate-600">You are not a member of any project yet. An admin adds you to projects.</p>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {mine.map((p) => (
            <li key={p.id} className="px-4 py-3">
              {p.name} <span className="text-xs text-slate-500">({p.mode})</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
