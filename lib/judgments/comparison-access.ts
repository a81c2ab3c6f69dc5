import { eq } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { uuidParam } from "@/lib/api/uuid-param";
import { getDb } from "@/lib/db/client";
import { comparisons, type Project, type User } from "@/lib/db/schema";
import { projectForUser } from "@/lib/projects/projects";

/** The comparison's project, if `user` may work in it (404 for unknown ids, 403 for non-members). */
export async function projectOfComparison(rawId: string | string[] | undefined, user: User): Promise<{ comparisonId: string; project: Project }> {
  const comparisonId = uuidParam(rawId, "comparison");
  const [row] = await getDb().select({ projectId: comparisons.projectId }).from(comparisons).where(eq(comparisons.id, comparisonId));
  if (!row) throw new ApiError("not_found", "No such comparison");
  return { comparisonId, project: await projectForUser(row.projectId, user) };
}
