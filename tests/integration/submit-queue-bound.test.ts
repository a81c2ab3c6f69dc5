// The submit queue is bounded (lib/judgments/submit-queue.ts): with ARBITER_SUBMIT_QUEUE_MAX
// submits waiting or in flight, the next is answered 503 with Retry-After at once instead
// of joining an ever longer line; sent again with the same clientId, it is written once.
// A batch that fails is logged before its items are retried alone.
import { randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { NextRequest } from "next/server";
import { afterAll, describe, expect, it, vi } from "vitest";
import { POST as submitRoute } from "@/app/api/v1/judgments/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb, getPool } from "@/lib/db/client";
import { judgments, type User } from "@/lib/db/schema";
import { SubmitQueue, SubmitQueueFull, type SubmitArgs } from "@/lib/judgments/submit-queue";
import { assignmentParams, nextTask, type Task } from "@/lib/tasks/next-task";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

vi.hoisted(() => {
  vi.stubEnv("ARBITER_SUBMIT_QUEUE_MAX", "2");
  vi.stubEnv("ARBITER_SUBMIT_IN_FLIGHT", "1");
});
// the worker process may run other files next: give them the environment back
afterAll(() => {
  vi.unstubAllEnvs();
});

type Result = { id: string; created: boolean; projectId: string; next: Task | null };

const args = (project: Parameters<typeof assignmentParams>[0], me: User, task: Task, over: Partial<SubmitArgs> = {}): SubmitArgs => ({
  comparisonId: task.comparisonId,
  annotatorId: me.id,
  clientId: randomUUID(),
  ranking: [[task.responses[0]!.id], [task.responses[1]!.id]],
  strength: null,
  bothBad: false,
  criteria: null,
  rationale: null,
  durationMs: 900,
  next: false,
  assignment: assignmentParams(project),
  ...over,
});

/** Holds the row locks of these comparisons in another transaction (an admin's long edit, a stalled database) until released. */
async function lockComparisons(ids: string[]) {
  const holder = await getPool().connect();
  await holder.query("begin");
  await holder.query("select 1 from comparisons where id = any($1::uuid[]) for update", [ids]);
  return async () => {
    await holder.query("commit").catch(() => {});
    holder.release();
  };
}

async function setUp(n: number) {
  const project = await aProject({ mode: "pairwise", redundancy: 1 });
  await importText(project, ndjson(responseRecords(n * 2, 2, "bound")));
  const team = await annotators(project, n);
  const tasks = (await Promise.all(team.map((me) => nextTask(project, me)))) as Task[];
  return { project, team, tasks };
}

describe("a bounded submit queue", () => {
  it("refuses the submit past maxPending at once, without waiting, while the others are stuck; the refused one, sent again, is written once", async () => {
    const { project, team, tasks } = await setUp(4);
    // every call counts as in flight however long it is stuck (no stall allowance)
    const queue = new SubmitQueue<Result>({ maxInFlight: 1, maxBatch: 32, stallMs: 60_000, maxPending: 3 });
    const release = await lockComparisons(tasks.map((t) => t.comparisonId));
    const sent = team.map((me, i) => args(project, me, tasks[i]!));
    let accepted: Promise<Result>[];
    try {
      accepted = sent.slice(0, 3).map((a) => queue.submit(a)); // one in flight, two waiting
      expect(queue.backlog()).toEqual({ pending: 3, max: 3 });
      const started = Date.now();
      await expect(queue.submit(sent[3]!)).rejects.toBeInstanceOf(SubmitQueueFull);
      expect(Date.now() - started).toBeLessThan(100);
      expect(queue.stats().refused).toBe(1);
    } finally {
      await release();
    }
    const results = await Promise.all(accepted);
    expect(results.every((r) => r.created)).toBe(true);
    expect(queue.backlog().pending).toBe(0);
    // the client's retry, same clientId
    const again = await queue.submit(sent[3]!);
    expect(again.created).toBe(true);
    const rows = await getDb().select().from(judgments).where(inArray(judgments.clientId, sent.map((a) => a.clientId)));
    expect(rows).toHaveLength(4);
  });

  it("logs a failed batch, with its error, before submitting its items one by one", async () => {
    const { project, team, tasks } = await setUp(3);
    const lines: string[] = [];
    const queue = new SubmitQueue<Result>({ maxInFlight: 1, maxBatch: 32, stallMs: 60_000, maxPending: 100, log: (l) => lines.push(l) });
    const first = args(project, team[0]!, tasks[0]!);
    const release = await lockComparisons([tasks[0]!.comparisonId]);
    const held = queue.submit(first); // alone in flight, stuck on the lock: the next two batch
    const batch = [
      queue.submit(args(project, team[1]!, tasks[1]!)),
      queue.submit(args(project, team[2]!, tasks[2]!, { clientId: first.clientId })), // reused clientId: a conflict that rolls the batch back
    ];
    await release();
    const [good, reused] = await Promise.allSettled([...batch]);
    await held;
    expect(good).toMatchObject({ status: "fulfilled", value: { created: true } });
    expect(reused).toMatchObject({ status: "rejected", reason: { code: "AR409" } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/a batch of 2 failed \(AR409: .+\); submitting each alone/);
  });
});

describe("POST /api/v1/judgments when the process's queue is full", () => {
  it("answers 503 with Retry-After, and the same request sent again after the backlog clears is 201", async () => {
    const { team, tasks } = await setUp(3);
    const tokens = await Promise.all(team.map(async (me) => (await createApiToken(me.id, "t")).token));
    const post = (i: number, clientId: string) =>
      submitRoute(
        new NextRequest("http://localhost/api/v1/judgments", {
          method: "POST",
          headers: { authorization: `Bearer ${tokens[i]}`, "content-type": "application/json" },
          body: JSON.stringify({ comparisonId: tasks[i]!.comparisonId, clientId, ranking: [[tasks[i]!.responses[0]!.id], [tasks[i]!.responses[1]!.id]] }),
        }),
        { params: Promise.resolve({}) },
      );
    const clientIds = team.map(() => randomUUID());
    const release = await lockComparisons(tasks.map((t) => t.comparisonId));
    let stuck: Promise<Response>[];
    try {
      // ARBITER_SUBMIT_QUEUE_MAX=2: two submits stuck on the locks fill it (the first counts while stalled)
      stuck = [post(0, clientIds[0]!), post(1, clientIds[1]!)];
      await waitFor(async () => {
        const { rows } = await getPool().query("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%arbiter_submit_judgment%'");
        return rows[0].n >= 2;
      });
      const refused = await post(2, clientIds[2]!);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unavailable");
    } finally {
      await release();
    }
    expect((await Promise.all(stuck)).map((r) => r.status)).toEqual([201, 201]);
    const retried = await post(2, clientIds[2]!);
    expect(retried.status).toBe(201);
    const written = await getDb().select().from(judgments).where(eq(judgments.clientId, clientIds[2]!));
    expect(written).toHaveLength(1);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}
