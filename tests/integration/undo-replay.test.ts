// Undo keeps the clientId (issue 19 review): a late replay of the original submit after an
// undo (a retry that was still in flight, a proxy's resend) is answered as a duplicate of
// the undone judgment and writes nothing, alone, in a batch, and over HTTP; the annotator's
// next verdict on the comparison (a new clientId) is written as usual.
import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { POST as submitRoute } from "@/app/api/v1/judgments/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb, getPool } from "@/lib/db/client";
import { comparisons, judgments, taskLeases, type User } from "@/lib/db/schema";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { undoJudgment } from "@/lib/judgments/undo-and-skip";
import { assignmentParams, nextTask, type Task } from "@/lib/tasks/next-task";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

const prefer = (t: Task) => [[t.responses[0]!.id], [t.responses[1]!.id]];

async function state(comparisonId: string, me: User) {
  const rows = await getDb().select().from(judgments).where(eq(judgments.comparisonId, comparisonId));
  const [c] = await getDb().select().from(comparisons).where(eq(comparisons.id, comparisonId));
  const leases = await getDb().select().from(taskLeases).where(and(eq(taskLeases.comparisonId, comparisonId), eq(taskLeases.annotatorId, me.id)));
  return { judgments: rows.length, count: c!.judgmentCount, leased: leases.length };
}

describe("a submit replayed after its judgment was undone", () => {
  it("is answered with the undone judgment's id, marked undone, and writes nothing; a new clientId judges again", async () => {
    const project = await aProject({ redundancy: 2 });
    await importText(project, ndjson(responseRecords(2, 2, "undo-replay")));
    const [a, b] = await annotators(project, 2);
    const task = (await nextTask(project, a!))!;
    const clientId = randomUUID();
    const first = await submitJudgment(task.comparisonId, a!, { clientId, ranking: prefer(task) });
    expect(first.created).toBe(true);
    await undoJudgment(first.id, a!);
    expect(await state(task.comparisonId, a!)).toEqual({ judgments: 0, count: 0, leased: 1 });

    // the late replay, alone (the queue sends a lone submit through arbiter_submit_judgment)
    const replay = await submitJudgment(task.comparisonId, a!, { clientId, ranking: prefer(task) });
    expect(replay).toMatchObject({ id: first.id, created: false, undone: true });
    expect(await state(task.comparisonId, a!)).toEqual({ judgments: 0, count: 0, leased: 1 }); // the lease undo gave back is still theirs

    // in a batch, with the next task asked for
    const item = [task.comparisonId, a!.id, clientId, prefer(task), null, false, null, null, null, true, ...assignmentParams(project)];
    const { rows } = await getPool().query<{ results: { id: string; created: boolean; undone: boolean; next: unknown }[] }>("select arbiter_submit_judgments($1) as results", [JSON.stringify([item])]);
    expect(rows[0]!.results[0]).toMatchObject({ id: first.id, created: false, undone: true });
    expect(await state(task.comparisonId, a!)).toMatchObject({ judgments: 0, count: 0 });

    // over HTTP: 200, the same id, undone
    const token = (await createApiToken(a!.id, "t")).token;
    const res = await submitRoute(
      new NextRequest("http://localhost/api/v1/judgments", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ comparisonId: task.comparisonId, clientId, ranking: prefer(task) }),
      }),
      { params: Promise.resolve({}) },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: first.id, undone: true });
    expect(await state(task.comparisonId, a!)).toMatchObject({ judgments: 0, count: 0 });

    // the clientId stays a's, for that comparison
    await expect(submitJudgment(task.comparisonId, b!, { clientId, ranking: prefer(task) })).rejects.toMatchObject({ code: "conflict" });

    // a's new verdict, with a new clientId, is written as usual
    const again = await submitJudgment(task.comparisonId, a!, { clientId: randomUUID(), ranking: [[task.responses[1]!.id], [task.responses[0]!.id]] });
    expect(again.created).toBe(true);
    expect(await state(task.comparisonId, a!)).toEqual({ judgments: 1, count: 1, leased: 0 });
  });
});
