import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { markGold, reserveComparisons } from "@/lib/comparisons/admin-marks";
import { getDb } from "@/lib/db/client";
import { comparisons, judgments, taskLeases, type User } from "@/lib/db/schema";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { skipComparison, undoJudgment } from "@/lib/judgments/undo-and-skip";
import { nextTask, type Task } from "@/lib/tasks/next-task";
import { updateProject } from "@/lib/projects/projects";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

const prefer = (task: Task) => [[task.responses[0]!.id], [task.responses[1]!.id]];

async function judge(project: Parameters<typeof nextTask>[0], me: User, pick = prefer) {
  const task = await nextTask(project, me);
  if (!task) return null;
  return { task, result: await submitJudgment(task.comparisonId, me, { clientId: randomUUID(), ranking: pick(task) }) };
}

describe("assignment and judgments", () => {
  it("50 concurrent annotators with redundancy 3 end with exactly 3 judgments per comparison", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 3 });
    await importText(project, ndjson(responseRecords(40, 2, "load")));
    const team = await annotators(project, 50);
    const acknowledged: string[] = [];
    let retried = 0;

    await Promise.all(
      team.map(async (me, i) => {
        for (;;) {
          const task = await nextTask(project, me);
          if (!task) return;
          if (i % 10 === 0 && Math.random() < 0.2) continue; // an annotator who reloads: the held lease comes back
          const clientId = randomUUID();
          const input = { clientId, ranking: prefer(task), strength: 2, durationMs: 1000 };
          const { id } = await submitJudgment(task.comparisonId, me, input);
          acknowledged.push(id);
          if (i % 7 === 0) {
            // A retried submit after a lost response: same clientId, same judgment, no new row.
            const again = await submitJudgment(task.comparisonId, me, input);
            expect(again).toEqual({ id, created: false, projectId: project.id });
            retried++;
          }
        }
      }),
    );

    const counts = await getDb().execute<{ judgments: number; counter: number }>(sql`
      select (select count(*) from judgments j where j.comparison_id = c.id)::int as judgments, c.judgment_count as counter
      from comparisons c where c.project_id = ${project.id}`);
    expect(counts.rows).toHaveLength(40);
    for (const row of counts.rows) expect(row).toEqual({ judgments: 3, counter: 3 });
    const stored = await getDb().select({ id: judgments.id }).from(judgments).where(eq(judgments.projectId, project.id));
    expect(new Set(stored.map((j) => j.id))).toEqual(new Set(acknowledged));
    expect(acknowledged).toHaveLength(120);
    expect(retried).toBeGreaterThan(0);
    const dup = await getDb().execute(sql`select comparison_id, annotator_id from judgments where project_id = ${project.id} group by 1, 2 having count(*) > 1`);
    expect(dup.rows).toHaveLength(0);
  });

  it("never gives out more leases than a comparison needs, and returns work when a lease expires", async () => {
    const project = await aProject({ redundancy: 1 });
    await importText(project, ndjson(responseRecords(1, 2, "one")));
    const [a, b] = await annotators(project, 2);
    const taskA = await nextTask(project, a!);
    expect(taskA).not.toBeNull();
    expect(await nextTask(project, b!)).toBeNull(); // the only slot is leased to a
    expect((await nextTask(project, a!))?.comparisonId).toBe(taskA!.comparisonId); // a reload gets it back

    await letLeasesExpire(a!);
    const taskB = await nextTask(project, b!);
    expect(taskB?.comparisonId).toBe(taskA!.comparisonId);
    // a's late submit finds the slot taken by b's live lease: refused, nothing written.
    await expect(submitJudgment(taskA!.comparisonId, a!, { clientId: randomUUID(), ranking: prefer(taskA!) })).rejects.toMatchObject({ code: "conflict" });
    await submitJudgment(taskB!.comparisonId, b!, { clientId: randomUUID(), ranking: prefer(taskB!) });
    expect(await nextTask(project, a!)).toBeNull();
  });

  it("marks a fully leased comparison so the scan passes it, and a skip or more redundancy reopens it at once", async () => {
    const project = await aProject({ redundancy: 2 });
    await importText(project, ndjson(responseRecords(1, 2, "hint")));
    const [a, b, c, d] = await annotators(project, 4);
    const hintOf = async (id: string) =>
      (await getDb().select({ until: comparisons.slotsLeasedUntil }).from(comparisons).where(eq(comparisons.id, id)))[0]!.until;
    const taskA = await nextTask(project, a!);
    expect(await hintOf(taskA!.comparisonId)).toBeNull(); // one of two slots leased
    const taskB = await nextTask(project, b!);
    expect(taskB?.comparisonId).toBe(taskA!.comparisonId);
    // Full: the hint is the earliest expiry among the leases, so it lapses no later than they do.
    expect((await hintOf(taskA!.comparisonId))?.toISOString()).toBe(taskA!.leaseExpiresAt);
    expect(await nextTask(project, c!)).toBeNull();
    // A skip frees a slot before any lease expires: offered again at once.
    await skipComparison(taskA!.comparisonId, a!, "not sure");
    expect(await hintOf(taskA!.comparisonId)).toBeNull();
    expect((await nextTask(project, c!))?.comparisonId).toBe(taskA!.comparisonId);
    expect(await nextTask(project, d!)).toBeNull(); // full again (b and c)
    // More redundancy, more slots: offered again at once.
    await updateProject(project.id, { redundancy: 3 });
    expect((await nextTask(project, d!))?.comparisonId).toBe(taskA!.comparisonId);
    // A judgment turns a lease into a judgment: still full, and the counts stay exact.
    for (const [who, task] of [[b!, taskB!], [c!, taskB!], [d!, taskB!]] as const) {
      await submitJudgment(task.comparisonId, who, { clientId: randomUUID(), ranking: prefer(task) });
    }
    const [row] = await getDb().select().from(comparisons).where(eq(comparisons.id, taskA!.comparisonId));
    expect(row!.judgmentCount).toBe(3);
    expect(await nextTask(project, a!)).toBeNull();
  });

  it("finds open work behind every comparison the annotator has judged, however many", async () => {
    // Judged-but-open comparisons sort first (fewest judgments still needed), so an
    // annotator's own history is what the scan walks before their next task. Up to 0006
    // the scan gave up after 10,000 rows and answered "nothing left".
    const project = await aProject({ redundancy: 2 });
    await importText(project, ndjson(responseRecords(10_050, 2, "deep")));
    const [a, b] = await annotators(project, 2);
    const judged = 10_020;
    await getDb().execute(sql`
      with firsts as (select id from comparisons where project_id = ${project.id} order by created_at, id limit ${judged}),
      mine as (
        insert into judgments (client_id, comparison_id, project_id, annotator_id, ranking, shown_order)
        select gen_random_uuid(), f.id, ${project.id}, ${a!.id}, '[]'::jsonb, '[]'::jsonb from firsts f
        returning comparison_id)
      update comparisons set judgment_count = judgment_count + 1 where id in (select comparison_id from mine)`);
    const next = await nextTask(project, a!);
    expect(next).not.toBeNull();
    const [row] = await getDb().select().from(comparisons).where(eq(comparisons.id, next!.comparisonId));
    expect(row!.judgmentCount).toBe(0);
    // Another annotator gets the half-done ones first.
    const other = await nextTask(project, b!);
    const [otherRow] = await getDb().select().from(comparisons).where(eq(comparisons.id, other!.comparisonId));
    expect(otherRow!.judgmentCount).toBe(1);
  });

  it("shows responses in a per-annotator random order and stores the order shown", async () => {
    const project = await aProject({ mode: "kwise", k: 4, redundancy: 20 });
    await importText(project, ndjson(responseRecords(1, 4, "order")));
    const team = await annotators(project, 12);
    const orders = new Set<string>();
    for (const me of team) {
      const { task, result } = (await judge(project, me, (t) => t.responses.map((r) => [r.id])))!;
      orders.add(task.responses.map((r) => r.id).join());
      const [row] = await getDb().select().from(judgments).where(eq(judgments.id, result.id));
      expect(row!.shownOrder).toEqual(task.responses.map((r) => r.id));
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  it("refuses invalid rankings with 400 and writes nothing", async () => {
    const project = await aProject({ allowTies: false, criteria: ["helpful"] });
    await importText(project, ndjson(responseRecords(1, 2, "bad")));
    const [me] = await annotators(project, 1);
    const task = (await nextTask(project, me!))!;
    const [a, b] = task.responses.map((r) => r.id) as [string, string];
    const bad: [unknown, RegExp][] = [
      [[[a]], /place all 2/],
      [[[a], [a]], /more than once/],
      [[[a], [randomUUID()]], /not part of this comparison/],
      [[[a, b]], /does not allow ties/],
    ];
    for (const [ranking, message] of bad) {
      const err = await submitJudgment(task.comparisonId, me!, { clientId: randomUUID(), ranking: ranking as string[][] }).catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ code: "invalid_input", message: expect.stringMatching(message) });
    }
    const wrongCriterion = await submitJudgment(task.comparisonId, me!, { clientId: randomUUID(), ranking: [[a], [b]], criteria: { funny: [[a], [b]] } }).catch((e) => e);
    expect(wrongCriterion.message).toMatch(/not a criterion/);
    const [row] = await getDb().select({ n: sql<number>`count(*)::int` }).from(judgments).where(eq(judgments.comparisonId, task.comparisonId));
    expect(row!.n).toBe(0);
    const ok = await submitJudgment(task.comparisonId, me!, { clientId: randomUUID(), ranking: [[a], [b]], criteria: { helpful: [[a, b]] }, strength: 3 });
    expect(ok.created).toBe(true);
    await expect(submitJudgment(task.comparisonId, me!, { clientId: randomUUID(), ranking: [[b], [a]] })).rejects.toMatchObject({ code: "conflict" });
  });

  it("mixes gold in, reserves work for named annotators, and honours skips and undo", async () => {
    const project = await aProject({ goldRate: 1, redundancy: 1 });
    await importText(project, ndjson(responseRecords(3, 2, "mix")));
    const [a, b] = await annotators(project, 2);
    const all = await getDb().select().from(comparisons).where(eq(comparisons.projectId, project.id)).orderBy(comparisons.createdAt);
    const [gold, reserved, open] = all as [typeof all[0], typeof all[0], typeof all[0]];
    await markGold(gold.id, [[(await nextIds(gold.id))[0]!], [(await nextIds(gold.id))[1]!]]);
    await reserveComparisons(project.id, [reserved.id], { userEmail: b!.email });

    expect((await nextTask(project, a!))?.comparisonId).toBe(gold.id); // gold rate 1: gold first
    expect((await nextTask(project, b!))?.comparisonId).toBe(gold.id); // gold is judged by everyone
    const aSecond = await nextTask(project, a!, { exclude: [gold.id] });
    expect(aSecond?.comparisonId).toBe(open.id); // not b's reserved one
    const bSecond = await nextTask(project, b!, { exclude: [gold.id] });
    expect(bSecond?.comparisonId).toBe(reserved.id); // b's reservation comes first

    await skipComparison(open.id, a!, "unclear prompt");
    expect(await nextTask(project, a!, { exclude: [gold.id] })).toBeNull();

    const { id } = await submitJudgment(bSecond!.comparisonId, b!, { clientId: randomUUID(), ranking: prefer(bSecond!) });
    expect((await undoJudgment(id, b!)).comparisonId).toBe(reserved.id);
    const [after] = await getDb().select().from(comparisons).where(eq(comparisons.id, reserved.id));
    expect(after!.judgmentCount).toBe(0);
    const lease = await getDb().select().from(taskLeases).where(and(eq(taskLeases.comparisonId, reserved.id), eq(taskLeases.annotatorId, b!.id)));
    expect(lease).toHaveLength(1);
    await expect(undoJudgment(id, a!)).rejects.toMatchObject({ code: "not_found" });
  });
});

async function nextIds(comparisonId: string): Promise<string[]> {
  const { rows } = await getDb().execute<{ id: string }>(sql`select response_id as id from comparison_responses where comparison_id = ${comparisonId} order by position`);
  return rows.map((r) => r.id);
}

/** POST /comparisons/:id/judgments, or with `path: "static"` POST /judgments with the comparison's id in the body. */
async function submitAndNext(token: string, comparisonId: string, body: object, opts: { path?: "nested" | "static"; next?: boolean } = {}): Promise<Response> {
  const { NextRequest } = await import("next/server");
  const query = opts.next === false ? "" : "?next=1";
  const init = (url: string, json: object) =>
    new NextRequest(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(json) });
  if (opts.path === "static") {
    const { POST } = await import("@/app/api/v1/judgments/route");
    return POST(init(`http://localhost/api/v1/judgments${query}`, { comparisonId, ...body }), { params: Promise.resolve({}) });
  }
  const { POST } = await import("@/app/api/v1/comparisons/[id]/judgments/route");
  return POST(init(`http://localhost/api/v1/comparisons/${comparisonId}/judgments${query}`, body), { params: Promise.resolve({ id: comparisonId }) });
}

describe("one request per step", () => {
  it.each(["nested", "static"] as const)("POST judgments?next=1 (%s path) answers with the judgment and the caller's next task", async (path) => {
    const { createApiToken } = await import("@/lib/auth/api-tokens");
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(project, ndjson(responseRecords(3, 2, "step")));
    const [me] = await annotators(project, 1);
    const { token } = await createApiToken(me!.id, "test");
    const call = (comparisonId: string, body: object) => submitAndNext(token, comparisonId, body, { path });
    let task: Task | null = await nextTask(project, me!);
    const seen = new Set<string>();
    while (task) {
      seen.add(task.comparisonId);
      const body = { clientId: randomUUID(), ranking: prefer(task) };
      const res = await call(task.comparisonId, body);
      expect(res.status).toBe(201);
      const answer = (await res.json()) as { id: string; next: Task | null };
      // a retry of the same submit: same id, and the next task is the one now leased (not a second lease)
      const again = (await (await call(task.comparisonId, body)).json()) as { id: string; next: Task | null };
      expect(again.id).toBe(answer.id);
      expect(again.next?.comparisonId ?? null).toBe(answer.next?.comparisonId ?? null);
      task = answer.next;
    }
    expect(seen.size).toBe(3);
    const leases = await getDb().select().from(taskLeases).where(eq(taskLeases.annotatorId, me!.id));
    expect(leases).toHaveLength(0);
    const rows = await getDb().select({ id: judgments.id }).from(judgments).where(eq(judgments.projectId, project.id));
    expect(rows).toHaveLength(3);
  });

  it("POST /judgments takes the comparison from the body: missing or unknown is an error that writes nothing, and a retry on either path replays", async () => {
    const { createApiToken } = await import("@/lib/auth/api-tokens");
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(project, ndjson(responseRecords(2, 2, "static")));
    const [me] = await annotators(project, 1);
    const { token } = await createApiToken(me!.id, "test");
    const { NextRequest } = await import("next/server");
    const { POST } = await import("@/app/api/v1/judgments/route");
    const task = (await nextTask(project, me!))!;
    const body = { clientId: randomUUID(), ranking: prefer(task) };

    const missing = await POST(
      new NextRequest("http://localhost/api/v1/judgments", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) }),
      { params: Promise.resolve({}) },
    );
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toContain("comparisonId");
    const unknown = await submitAndNext(token, randomUUID(), body, { path: "static", next: false });
    expect(unknown.status).toBe(404);
    expect(await getDb().select().from(judgments).where(eq(judgments.projectId, project.id))).toHaveLength(0);

    const first = await submitAndNext(token, task.comparisonId, body, { path: "static", next: false });
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };
    const replayed = await submitAndNext(token, task.comparisonId, body, { path: "nested", next: false });
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toEqual({ id });
    expect(await getDb().select().from(judgments).where(eq(judgments.projectId, project.id))).toHaveLength(1);
  });

  it("a submit racing itself (double click, or a resend with a new clientId) counts once", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 2 });
    await importText(project, ndjson(responseRecords(6, 2, "race")));
    const [me] = await annotators(project, 1);
    const counted = async (comparisonId: string) => {
      const [c] = await getDb().select({ n: comparisons.judgmentCount }).from(comparisons).where(eq(comparisons.id, comparisonId));
      const rows = await getDb().select({ id: judgments.id }).from(judgments).where(eq(judgments.comparisonId, comparisonId));
      return { counter: c!.n, rows: rows.length };
    };
    for (let round = 0; round < 3; round++) {
      // the same clientId twice at once: one row, both answers name it
      const same = (await nextTask(project, me!))!;
      const input = { clientId: randomUUID(), ranking: prefer(same) };
      const [a, b] = await Promise.all([submitJudgment(same.comparisonId, me!, input), submitJudgment(same.comparisonId, me!, input)]);
      expect(a.id).toBe(b.id);
      expect([a.created, b.created].sort()).toEqual([false, true]);
      expect(await counted(same.comparisonId)).toEqual({ counter: 1, rows: 1 });
      // two clientIds at once for one lease: one judgment, the other a conflict
      const twice = (await nextTask(project, me!))!;
      const results = await Promise.allSettled([
        submitJudgment(twice.comparisonId, me!, { clientId: randomUUID(), ranking: prefer(twice) }),
        submitJudgment(twice.comparisonId, me!, { clientId: randomUUID(), ranking: prefer(twice) }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(rejected.reason).toMatchObject({ code: "conflict" });
      expect(await counted(twice.comparisonId)).toEqual({ counter: 1, rows: 1 });
    }
  });

  it("more annotators than pooled connections, each a chain of submit-and-next, end with every comparison judged twice", async () => {
    const { createApiToken } = await import("@/lib/auth/api-tokens");
    const project = await aProject({ mode: "pairwise", redundancy: 2 });
    await importText(project, ndjson(responseRecords(30, 2, "chain")));
    const team = await annotators(project, 24); // the pool holds 10
    const acknowledged: string[] = [];
    await Promise.all(
      team.map(async (me, i) => {
        const { token } = await createApiToken(me.id, "test");
        const path = i % 2 === 0 ? "nested" : "static";
        let task = await nextTask(project, me);
        while (task) {
          const res = await submitAndNext(token, task.comparisonId, { clientId: randomUUID(), ranking: prefer(task) }, { path });
          expect(res.status).toBe(201);
          const answer = (await res.json()) as { id: string; next: Task | null };
          acknowledged.push(answer.id);
          task = answer.next;
        }
      }),
    );
    expect(acknowledged).toHaveLength(60);
    const counts = await getDb().execute<{ n: number }>(sql`
      select (select count(*) from judgments j where j.comparison_id = c.id)::int as n from comparisons c where c.project_id = ${project.id}`);
    for (const row of counts.rows) expect(row.n).toBe(2);
  });
});

/**
 * Time passes until `who`'s leases expire: their expiries, and the scan hints derived
 * from them (never later than the earliest live lease: drizzle/0006), move into the past.
 */
async function letLeasesExpire(who: User): Promise<void> {
  const past = new Date(Date.now() - 1000);
  const leased = await getDb().update(taskLeases).set({ expiresAt: past }).where(eq(taskLeases.annotatorId, who.id)).returning({ id: taskLeases.comparisonId });
  if (leased.length > 0) await getDb().update(comparisons).set({ slotsLeasedUntil: past }).where(inArray(comparisons.id, leased.map((l) => l.id)));
}
