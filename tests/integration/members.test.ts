// Removing a member from a project through DELETE /api/v1/projects/:id/members/:userId:
// access ends at once (though cached), leases and personal reservations are released,
// judgments and their exclusion stay, and adding the member again restores access.
import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { comparisons, judgments, projectMembers, taskLeases } from "@/lib/db/schema";
import { addMembers, listMembers, projectsOfUser, setExcluded } from "@/lib/projects/projects";
import { anAdmin, annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

type Task = { comparisonId: string; responses: { id: string }[] };

function bearer(token: string, method = "GET", body?: unknown) {
  return {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

async function nextTask(token: string, projectId: string): Promise<Response> {
  const { GET } = await import("@/app/api/v1/projects/[id]/tasks/next/route");
  return GET(new NextRequest(`http://localhost/api/v1/projects/${projectId}/tasks/next`, bearer(token)), { params: Promise.resolve({ id: projectId }) });
}

async function judge(token: string, task: Task): Promise<Response> {
  const { POST } = await import("@/app/api/v1/judgments/route");
  const body = { comparisonId: task.comparisonId, clientId: randomUUID(), ranking: task.responses.map((r) => [r.id]) };
  return POST(new NextRequest("http://localhost/api/v1/judgments", bearer(token, "POST", body)), { params: Promise.resolve({}) });
}

async function undo(token: string, judgmentId: string): Promise<Response> {
  const { DELETE } = await import("@/app/api/v1/judgments/[id]/route");
  return DELETE(new NextRequest(`http://localhost/api/v1/judgments/${judgmentId}`, bearer(token, "DELETE")), { params: Promise.resolve({ id: judgmentId }) });
}

async function removeCall(token: string, projectId: string, userId: string): Promise<Response> {
  const { DELETE } = await import("@/app/api/v1/projects/[id]/members/[userId]/route");
  return DELETE(new NextRequest(`http://localhost/api/v1/projects/${projectId}/members/${userId}`, bearer(token, "DELETE")), {
    params: Promise.resolve({ id: projectId, userId }),
  });
}

describe("removing a project member", () => {
  it("ends their access at once, releases their leases and reservations, and keeps their judgments and exclusion", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(project, ndjson(responseRecords(6, 2, "members")));
    const [ann] = await annotators(project, 1);
    const token = (await createApiToken(ann!.id, "t")).token;
    const adminToken = (await createApiToken((await anAdmin()).id, "t")).token;

    // one judgment, then a task held under a lease; one comparison reserved for them alone
    const first = (await (await nextTask(token, project.id)).json()) as Task;
    const judged = await judge(token, first);
    expect(judged.status).toBe(201);
    const { id: judgmentId } = (await judged.json()) as { id: string };
    const held = (await (await nextTask(token, project.id)).json()) as Task;
    const [reserved] = await getDb()
      .update(comparisons)
      .set({ reservedForUser: ann!.id })
      .where(and(eq(comparisons.projectId, project.id), eq(comparisons.judgmentCount, 0)))
      .returning({ id: comparisons.id });
    await setExcluded(project.id, ann!.id, true);
    expect(await getDb().select().from(taskLeases).where(eq(taskLeases.annotatorId, ann!.id))).toHaveLength(1);

    const res = await removeCall(adminToken, project.id, ann!.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ leasesReleased: 1, reservationsCleared: 6 - 1 });

    // no access from the very next request, though the membership was cached a moment ago
    expect((await nextTask(token, project.id)).status).toBe(403);
    expect((await judge(token, held)).status).toBe(403);
    expect((await undo(token, judgmentId)).status).toBe(403); // within the undo window, but no longer a member
    expect(await getDb().select().from(taskLeases).where(eq(taskLeases.annotatorId, ann!.id))).toHaveLength(0);
    const [c] = await getDb().select().from(comparisons).where(eq(comparisons.id, reserved!.id));
    expect(c!.reservedForUser).toBeNull();
    expect((await getDb().select().from(judgments).where(eq(judgments.annotatorId, ann!.id))).map((j) => j.comparisonId)).toEqual([first.comparisonId]);
    const [row] = await getDb().select().from(projectMembers).where(and(eq(projectMembers.projectId, project.id), eq(projectMembers.userId, ann!.id)));
    expect(row!.excludedAt).not.toBeNull(); // their judgments stay out of statistics and training
    expect(await listMembers(project.id)).toEqual([]);
    expect(await projectsOfUser(ann!.id)).toEqual([]);

    // removing again, or someone who never was a member: 404; an annotator may not remove: 403
    expect((await removeCall(adminToken, project.id, ann!.id)).status).toBe(404);
    expect((await removeCall(token, project.id, ann!.id)).status).toBe(403);

    // added again: access is back, the exclusion still stands
    await addMembers(project.id, [ann!.email]);
    expect((await nextTask(token, project.id)).status).toBe(200);
    expect((await listMembers(project.id)).map((m) => [m.email, m.excluded])).toEqual([[ann!.email, true]]);
  });
});
