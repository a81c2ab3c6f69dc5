// A trainer that takes a round's job from the queue and dies before claiming the round
// (trainer/rounds/orphaned-rounds.ts): the job is left active in pg-boss on nobody, with no
// retry; the sweep fails the round once the job has been out longer than a trainer may be
// silent, so the project can start another. A job taken a moment ago is left alone.
import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { rounds } from "@/lib/db/schema";
import { stopSender } from "@/lib/rounds/boss";
import { ROUND_QUEUE } from "@/lib/rounds/queue";
import { startRound } from "@/lib/rounds/start-round";
import { failOrphanedRounds } from "@/trainer/rounds/orphaned-rounds";
import { aProject, importText, ndjson } from "./fixtures";

const started: string[] = [];

afterAll(async () => {
  // nothing left queued for a trainer that a later test file starts
  for (const id of started) {
    await getDb().execute(sql`update rounds set status = 'cancelled', finished_at = now() where id = ${id} and status = 'queued'`);
    await getDb().execute(sql`delete from pgboss.job where name = ${ROUND_QUEUE} and data->>'roundId' = ${id}`);
  }
  await stopSender();
});

async function start(projectId: string): Promise<{ id: string; number: number }> {
  const round = await startRound({ projectId, trigger: "admin", requestedBy: null });
  started.push(round.id);
  return round;
}

/** What pg-boss's fetch does to a job a worker takes: active, started now (less `agoSeconds`). */
async function takeJob(roundId: string, agoSeconds: number): Promise<number> {
  const { rowCount } = await getDb().execute(sql`
    update pgboss.job set state = 'active', started_on = now() - make_interval(secs => ${agoSeconds})
    where name = ${ROUND_QUEUE} and data->>'roundId' = ${roundId}`);
  return rowCount ?? 0;
}

const statusOf = async (id: string) => (await getDb().select({ status: rounds.status, error: rounds.error }).from(rounds).where(eq(rounds.id, id)))[0];

describe("a round whose job was taken by a trainer that died before claiming it", () => {
  it("is failed by the sweep once the job is older than a trainer may be silent, and the project can start another", async () => {
    const project = await aProject({ mode: "pairwise" });
    await importText(project, ndjson([{ prompt: "p", chosen: "a", rejected: "b" }]));
    const { id } = await start(project.id);

    expect(await takeJob(id, 0)).toBe(1);
    await failOrphanedRounds(getDb());
    expect(await statusOf(id)).toMatchObject({ status: "queued" }); // just taken: the claim may be on its way

    expect(await takeJob(id, 3600)).toBe(1);
    expect(await failOrphanedRounds(getDb())).toBeGreaterThanOrEqual(1);
    expect(await statusOf(id)).toEqual({ status: "failed", error: "The trainer that took this round from the queue stopped before starting it" });
    expect((await start(project.id)).number).toBe(2);
  });

  it("leaves a queued round whose job still waits in the queue", async () => {
    const project = await aProject({ mode: "pairwise" });
    await importText(project, ndjson([{ prompt: "p", chosen: "a", rejected: "b" }]));
    const { id } = await start(project.id);
    await getDb().execute(sql`update pgboss.job set created_on = now() - interval '1 hour' where name = ${ROUND_QUEUE} and data->>'roundId' = ${id}`);
    await failOrphanedRounds(getDb());
    expect(await statusOf(id)).toMatchObject({ status: "queued" }); // no trainer has taken it: it waits for one
  });
});
