import { randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, getPool } from "@/lib/db/client";
import { comparisons, judgments, taskLeases, type User } from "@/lib/db/schema";
import { SubmitQueue, type SubmitArgs } from "@/lib/judgments/submit-queue";
import { assignmentParams, nextTask, type Task } from "@/lib/tasks/next-task";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

type Result = { id: string; created: boolean; projectId: string; next: Task | null };

const args = (project: Parameters<typeof assignmentParams>[0], me: User, task: Task, over: Partial<SubmitArgs> = {}): SubmitArgs => ({
  comparisonId: task.comparisonId,
  annotatorId: me.id,
  clientId: randomUUID(),
  ranking: [[task.responses[1]!.id], [task.responses[0]!.id]],
  strength: 2,
  bothBad: false,
  criteria: null,
  rationale: "second one",
  durationMs: 1200,
  next: false,
  assignment: assignmentParams(project),
  ...over,
});

async function counts(ids: string[]) {
  const rows = await getDb().select({ id: comparisons.id, n: comparisons.judgmentCount }).from(comparisons).where(inArray(comparisons.id, ids));
  const written = await getDb().select({ c: judgments.comparisonId }).from(judgments).where(inArray(judgments.comparisonId, ids));
  return { counters: rows.reduce((s, r) => s + r.n, 0), rows: written.length };
}

describe("coalesced submits (arbiter_submit_judgments)", () => {
  it("a batch writes each judgment once, answers each caller in its own order, and leases each caller's next task", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(project, ndjson(responseRecords(20, 2, "batch")));
    const team = await annotators(project, 6);
    const tasks = await Promise.all(team.map((me) => nextTask(project, me)));
    // one call in flight: the first submit goes alone, the other five wait and go as one batch
    const queue = new SubmitQueue<Result>({ maxInFlight: 1, maxBatch: 32, stallMs: 10_000, maxPending: 1000 });
    // every other item with a per-criterion verdict: the batch carries both jsonb and null
    const sent = team.map((me, i) => args(project, me, tasks[i]!, { next: true, criteria: i % 2 ? null : { helpful: [[tasks[i]!.responses[0]!.id], [tasks[i]!.responses[1]!.id]] } }));
    const results = await Promise.all(sent.map((a) => queue.submit(a)));
    expect(queue.stats()).toMatchObject({ calls: 2, batches: 1, fallbacks: 0 });

    for (const [i, r] of results.entries()) {
      const [row] = await getDb().select().from(judgments).where(eq(judgments.id, r.id));
      expect(row).toMatchObject({ clientId: sent[i]!.clientId, comparisonId: tasks[i]!.comparisonId, annotatorId: team[i]!.id, strength: 2, rationale: "second one", durationMs: 1200 });
      expect(row!.ranking).toEqual(sent[i]!.ranking);
      expect(row!.criteria).toEqual(sent[i]!.criteria);
      expect(r).toMatchObject({ created: true, projectId: project.id });
      // the next task is a new comparison, leased to this caller
      expect(r.next!.comparisonId).not.toBe(tasks[i]!.comparisonId);
      const leases = await getDb().select().from(taskLeases).where(eq(taskLeases.comparisonId, r.next!.comparisonId));
      expect(leases.map((l) => l.annotatorId)).toEqual([team[i]!.id]);
    }
    expect(await counts(tasks.map((t) => t!.comparisonId))).toEqual({ counters: 6, rows: 6 });
    // redundancy 1: no two callers were handed the same next comparison
    expect(new Set(results.map((r) => r.next!.comparisonId)).size).toBe(6);
  });

  it("one failing item rolls its batch back, and then every item gets the answer it would have had alone", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(project, ndjson(responseRecords(12, 2, "fallback")));
    const team = await annotators(project, 4);
    const tasks = (await Promise.all(team.map((me) => nextTask(project, me)))) as Task[];
    const queue = new SubmitQueue<Result>({ maxInFlight: 1, maxBatch: 32, stallMs: 10_000, maxPending: 1000 });
    const first = args(project, team[0]!, tasks[0]!);
    await queue.submit(first);
    // in one batch: two good submits, a clientId reused for another comparison (a conflict),
    // and a retry of the first submit (a replay, no second row)
    const batch = [
      queue.submit(args(project, team[0]!, tasks[0]!)), // holds the call: the rest wait and batch
      queue.submit(args(project, team[1]!, tasks[1]!)),
      queue.submit(args(project, team[2]!, tasks[2]!, { clientId: first.clientId })),
      queue.submit(args(project, team[3]!, tasks[3]!)),
      queue.submit(first),
    ];
    const settled = await Promise.allSettled(batch);
    expect(queue.stats().fallbacks).toBeGreaterThan(0);
    const [again, good1, reused, good3, replay] = settled;
    // a second judgment of the same comparison by the same annotator, and a reused clientId: conflicts
    expect(again).toMatchObject({ status: "rejected" });
    expect(reused).toMatchObject({ status: "rejected", reason: { code: "AR409" } });
    expect(good1).toMatchObject({ status: "fulfilled", value: { created: true } });
    expect(good3).toMatchObject({ status: "fulfilled", value: { created: true } });
    expect(replay).toMatchObject({ status: "fulfilled", value: { created: false } });
    expect(await counts(tasks.map((t) => t.comparisonId))).toEqual({ counters: 3, rows: 3 });
  });

  it("a call stuck behind another transaction's lock does not hold up the submits after it", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(project, ndjson(responseRecords(6, 2, "stall")));
    const team = await annotators(project, 2);
    const [stuck, free] = (await Promise.all(team.map((me) => nextTask(project, me)))) as Task[];
    const queue = new SubmitQueue<Result>({ maxInFlight: 1, maxBatch: 32, stallMs: 50, maxPending: 1000 });
    const holder = await getPool().connect();
    try {
      // another transaction holds the first comparison's row, as a long admin edit would
      await holder.query("begin");
      await holder.query("select 1 from comparisons where id = $1 for update", [stuck!.comparisonId]);
      const order: string[] = [];
      const first = queue.submit(args(project, team[0]!, stuck!)).then(() => order.push("stuck"));
      const second = queue.submit(args(project, team[1]!, free!)).then(() => order.push("free"));
      await second;
      expect(order).toEqual(["free"]);
      await holder.query("commit");
      await first;
      expect(order).toEqual(["free", "stuck"]);
    } finally {
      await holder.query("rollback").catch(() => {});
      holder.release();
    }
    expect(await counts([stuck!.comparisonId, free!.comparisonId])).toEqual({ counters: 2, rows: 2 });
  });

  it("concurrent batches over shared comparisons (redundancy 3) end with exactly 3 judgments each, without deadlock", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 3 });
    await importText(project, ndjson(responseRecords(30, 2, "shared")));
    const team = await annotators(project, 24);
    const queue = new SubmitQueue<Result>({ maxInFlight: 3, maxBatch: 8, stallMs: 10_000, maxPending: 1000 });
    const acknowledged: string[] = [];
    await Promise.all(
      team.map(async (me) => {
        let task = await nextTask(project, me);
        while (task) {
          const r = await queue.submit(args(project, me, task, { next: true }));
          acknowledged.push(r.id);
          task = r.next;
        }
      }),
    );
    // batches formed, and none failed: a deadlock between two of them would have rolled one back
    expect(queue.stats().fallbacks).toBe(0);
    expect(queue.stats().batches).toBeGreaterThan(0);
    const all = await getDb().select({ id: comparisons.id, n: comparisons.judgmentCount }).from(comparisons).where(eq(comparisons.projectId, project.id));
    expect(all.every((c) => c.n === 3)).toBe(true);
    const written = await getDb().select({ id: judgments.id }).from(judgments).where(eq(judgments.projectId, project.id));
    expect(written).toHaveLength(all.length * 3);
    expect(new Set(acknowledged)).toEqual(new Set(written.map((w) => w.id)));
  });
});
