// Judgments that bypass the usual path keep the assignment's rules: a submit without a
// lease respects reservations, and two undos of one judgment count it out once.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { DELETE as undoRoute } from "@/app/api/v1/judgments/[id]/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { reserveComparisons } from "@/lib/comparisons/admin-marks";
import { getDb, getPool } from "@/lib/db/client";
import { comparisons, type User } from "@/lib/db/schema";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { addMembers } from "@/lib/projects/projects";
import { nextTask } from "@/lib/tasks/next-task";
import { aProject, annotators, importText, ndjson, responseRecords } from "./fixtures";

async function responseIds(comparisonId: string): Promise<string[]> {
  const { rows } = await getPool().query<{ id: string }>("select response_id as id from comparison_responses where comparison_id = $1 order by position", [comparisonId]);
  return rows.map((r) => r.id);
}

/** A judgment sent straight to the submit, with no lease from tasks/next. */
async function judgeWithoutLease(comparisonId: string, me: User) {
  const [a, b] = await responseIds(comparisonId);
  return submitJudgment(comparisonId, me, { clientId: randomUUID(), ranking: [[a!], [b!]] });
}

async function judgmentCount(comparisonId: string): Promise<number> {
  const [row] = await getDb().select({ n: comparisons.judgmentCount }).from(comparisons).where(eq(comparisons.id, comparisonId));
  return row!.n;
}

describe("a judgment without a lease", () => {
  it("is refused on a comparison reserved for another annotator or another group", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 3 });
    await importText(project, ndjson(responseRecords(2, 2, "reserved")));
    const [owner, stranger, grouped] = await annotators(project, 3);
    await addMembers(project.id, [grouped!.email], "reviewers");
    const [forUser, forGroup] = await getDb().select().from(comparisons).where(eq(comparisons.projectId, project.id)).orderBy(comparisons.createdAt);
    await reserveComparisons(project.id, [forUser!.id], { userEmail: owner!.email });
    await reserveComparisons(project.id, [forGroup!.id], { group: "reviewers" });

    await expect(judgeWithoutLease(forUser!.id, stranger!)).rejects.toMatchObject({ code: "forbidden" });
    await expect(judgeWithoutLease(forUser!.id, grouped!)).rejects.toMatchObject({ code: "forbidden" });
    await expect(judgeWithoutLease(forGroup!.id, stranger!)).rejects.toMatchObject({ code: "forbidden" });
    await expect(judgeWithoutLease(forGroup!.id, owner!)).rejects.toMatchObject({ code: "forbidden" });
    expect(await judgmentCount(forUser!.id)).toBe(0);
    expect(await judgmentCount(forGroup!.id)).toBe(0);

    expect((await judgeWithoutLease(forUser!.id, owner!)).created).toBe(true);
    expect((await judgeWithoutLease(forGroup!.id, grouped!)).created).toBe(true);
    expect(await judgmentCount(forUser!.id)).toBe(1);
    expect(await judgmentCount(forGroup!.id)).toBe(1);
  });
});

describe("undo", () => {
  it("counts a judgment out once when two undos of it race", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 2 });
    await importText(project, ndjson(responseRecords(1, 2, "undo-race")));
    const [me, other] = await annotators(project, 2);
    const task = (await nextTask(project, me!))!;
    const mine = await judgeWithoutLease(task.comparisonId, me!);
    await judgeWithoutLease(task.comparisonId, other!);
    expect(await judgmentCount(task.comparisonId)).toBe(2);

    const { token } = await createApiToken(me!.id, "undo");
    const undo = () =>
      undoRoute(new NextRequest(`http://localhost/api/v1/judgments/${mine.id}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } }), {
        params: Promise.resolve({ id: mine.id }),
      });
    // Hold the comparison's row lock so both undos have read the judgment before either deletes it.
    const holder = await getPool().connect();
    try {
      await holder.query("begin");
      await holder.query("select id from comparisons where id = $1 for update", [task.comparisonId]);
      const both = Promise.all([undo(), undo()]);
      await new Promise((r) => setTimeout(r, 500));
      await holder.query("commit");
      const statuses = (await both).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 404]);
    } finally {
      holder.release();
    }
    expect(await judgmentCount(task.comparisonId)).toBe(1);
  });
});
