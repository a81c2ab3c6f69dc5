// Admin marks on comparisons: gold answers and reservations for named annotators or groups.
import { and, eq, inArray } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { getDb } from "@/lib/db/client";
import { comparisonResponses, comparisons, users } from "@/lib/db/schema";
import { rankingProblem, type Ranking } from "@/lib/judgments/ranking";

export async function markGold(comparisonId: string, ranking: Ranking | null): Promise<void> {
  await getDb().transaction(async (tx) => {
    const [c] = await tx.select().from(comparisons).where(eq(comparisons.id, comparisonId)).for("update");
    if (!c) throw new ApiError("not_found", "No such comparison");
    if (ranking) {
      const ids = (await tx.select({ id: comparisonResponses.responseId }).from(comparisonResponses).where(eq(comparisonResponses.comparisonId, comparisonId))).map((r) => r.id);
      const problem = rankingProblem(ranking, ids, { allowTies: true });
      if (problem) throw new ApiError("invalid_input", `ranking: ${problem}`);
    }
    await tx.update(comparisons).set({ isGold: ranking !== null, goldRanking: ranking }).where(eq(comparisons.id, comparisonId));
  });
}

export async function reserveComparisons(
  projectId: string,
  comparisonIds: string[],
  target: { userEmail?: string; group?: string } | null,
): Promise<number> {
  let userId: string | null = null;
  if (target?.userEmail) {
    const [u] = await getDb().select({ id: users.id }).from(users).where(eq(users.email, target.userEmail.trim().toLowerCase()));
    if (!u) throw new ApiError("invalid_input", `No user with email ${target.userEmail}`);
    userId = u.id;
  }
  const updated = await getDb()
    .update(comparisons)
    .set({ reservedForUser: userId, reservedForGroup: target?.group ?? null })
    .where(and(eq(comparisons.projectId, projectId), inArray(comparisons.id, comparisonIds)))
    .returning({ id: comparisons.id });
  return updated.length;
}
