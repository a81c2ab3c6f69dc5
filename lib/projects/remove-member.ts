// Removing an annotator from a project: they lose access at once in every web process
// (access-cache.ts), the comparisons they hold under a lease go back to the pool, and what
// was reserved for them alone is open to everyone. Their judgments stay, and so does an
// exclusion of those judgments (the membership row is kept, marked removed).
import { and, eq, inArray, isNull } from "drizzle-orm";
import { notifyAccessChanged } from "@/lib/cache/access-cache";
import { getDb } from "@/lib/db/client";
import { comparisons, projectMembers, taskLeases } from "@/lib/db/schema";

export type RemovedMember = { leasesReleased: number; reservationsCleared: number };

/** Undefined when the user is not a (current) member of the project. */
export async function removeMember(projectId: string, userId: string): Promise<RemovedMember | undefined> {
  return getDb().transaction(async (tx) => {
    const [member] = await tx
      .update(projectMembers)
      .set({ removedAt: new Date() })
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId), isNull(projectMembers.removedAt)))
      .returning({ userId: projectMembers.userId });
    if (!member) return undefined;
    // Access goes first: once this commits, no process hands them a task or takes a judgment.
    await notifyAccessChanged(tx);
    const inProject = tx.select({ id: comparisons.id }).from(comparisons).where(eq(comparisons.projectId, projectId));
    const released = await tx
      .delete(taskLeases)
      .where(and(eq(taskLeases.annotatorId, userId), inArray(taskLeases.comparisonId, inProject)))
      .returning({ comparisonId: taskLeases.comparisonId });
    if (released.length > 0) {
      // Their slots are free again: the assignment scan must count these rows' leases (drizzle/0006).
      await tx
        .update(comparisons)
        .set({ slotsLeasedUntil: null })
        .where(inArray(comparisons.id, released.map((r) => r.comparisonId)));
    }
    const unreserved = await tx
      .update(comparisons)
      .set({ reservedForUser: null })
      .where(and(eq(comparisons.projectId, projectId), eq(comparisons.reservedForUser, userId)))
      .returning({ id: comparisons.id });
    return { leasesReleased: released.length, reservationsCleared: unreserved.length };
  });
}
