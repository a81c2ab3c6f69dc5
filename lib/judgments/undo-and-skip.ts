// Undo the last judgment within a short window, and skip a comparison with a reason.
import { and, eq, isNotNull, sql } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { getDb } from "@/lib/db/client";
import { projectForUser } from "@/lib/projects/projects";
import { comparisons, judgments, projects, skips, taskLeases, undoneJudgments, type User } from "@/lib/db/schema";
import { UNDO_WINDOW_MS } from "./undo-window";


/**
 * Deletes my judgment if it is recent enough, and gives me the comparison back under a
 * lease. Its clientId is kept (undone_judgments), so a late replay of the original submit
 * is answered as a duplicate of the undone judgment, not written again (drizzle/0017).
 */
export async function undoJudgment(judgmentId: string, me: User): Promise<{ comparisonId: string }> {
  // 403 once removed from the project (their judgments stay); checked before the
  // transaction, so it never waits for a second connection while holding one.
  const [mine] = await getDb()
    .select({ projectId: judgments.projectId })
    .from(judgments)
    .where(and(eq(judgments.id, judgmentId), eq(judgments.annotatorId, me.id)));
  if (mine) await projectForUser(mine.projectId, me);
  return getDb().transaction(async (tx) => {
    const [j] = await tx.select().from(judgments).where(eq(judgments.id, judgmentId));
    if (!j || j.annotatorId !== me.id) throw new ApiError("not_found", "No such judgment of yours");
    if (Date.now() - j.createdAt.getTime() > UNDO_WINDOW_MS) throw new ApiError("conflict", "Too late to undo this judgment");
    await tx.select({ id: comparisons.id }).from(comparisons).where(eq(comparisons.id, j.comparisonId)).for("update");
    const [project] = await tx.select().from(projects).where(eq(projects.id, j.projectId));
    // Two undos of one judgment both get this far; the second, once the first has
    // committed, deletes nothing and must not take the count down again.
    const deleted = await tx.delete(judgments).where(eq(judgments.id, j.id)).returning({ id: judgments.id });
    if (deleted.length === 0) throw new ApiError("not_found", "No such judgment of yours (already undone)");
    await tx.insert(undoneJudgments).values({ clientId: j.clientId, judgmentId: j.id, comparisonId: j.comparisonId, annotatorId: me.id, projectId: j.projectId });
    await tx
      .update(comparisons)
      .set({ judgmentCount: sql`greatest(${comparisons.judgmentCount} - 1, 0)` })
      .where(eq(comparisons.id, j.comparisonId));
    const expiresAt = new Date(Date.now() + project!.leaseSeconds * 1000);
    await tx
      .insert(taskLeases)
      .values({ comparisonId: j.comparisonId, annotatorId: me.id, shownOrder: j.shownOrder, expiresAt })
      .onConflictDoUpdate({ target: [taskLeases.comparisonId, taskLeases.annotatorId], set: { expiresAt, shownOrder: j.shownOrder } });
    return { comparisonId: j.comparisonId };
  });
}

export async function skipComparison(comparisonId: string, me: User, reason: string | undefined): Promise<void> {
  await getDb().transaction(async (tx) => {
    const [c] = await tx.select({ id: comparisons.id }).from(comparisons).where(eq(comparisons.id, comparisonId));
    if (!c) throw new ApiError("not_found", "No such comparison");
    await tx.insert(skips).values({ comparisonId, annotatorId: me.id, reason: reason ?? null }).onConflictDoNothing();
    await tx.delete(taskLeases).where(and(eq(taskLeases.comparisonId, comparisonId), eq(taskLeases.annotatorId, me.id)));
    // The slot this lease held is free again: the scan must count this row's leases (drizzle/0006).
    await tx
      .update(comparisons)
      .set({ slotsLeasedUntil: null })
      .where(and(eq(comparisons.id, comparisonId), isNotNull(comparisons.slotsLeasedUntil)));
  });
}
