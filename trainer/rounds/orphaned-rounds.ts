// A round whose trainer died mid-run (killed, machine lost) would stay "running" forever and,
// through the one-active-round-per-project index, block every later round. Trainers sweep
// for such rounds at start and every ARBITER_ORPHAN_SWEEP_MS (a minute): running, with a worker that has stopped or
// not reported within TRAINER_STALE_MS (30 s), means failed (not handed back to the queue:
// an admin starts the round again). A trainer told to stop (SIGTERM) fails its own round
// at once instead (failRoundsOfStoppingWorker), before the supervisor's grace runs out.
//
// The same holds for a round still queued whose job a trainer took from the queue and then
// died before claiming it (the claim follows the fetch within milliseconds): the job stays
// active in pg-boss on nobody, with no retry (retryLimit 0), and the round would stay
// queued, blocking the project, until the job expired hours later and then for good.
import { sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { trainerStaleMs } from "@/lib/health";
import { ROUND_QUEUE } from "@/lib/rounds/queue";

export async function failOrphanedRounds(db: Db): Promise<number> {
  const stale = sql`make_interval(secs => ${trainerStaleMs() / 1000})`;
  const { rows } = await db.execute<{ id: string }>(sql`
    update rounds r set status = 'failed', finished_at = now(),
      error = 'The trainer running this round stopped before it finished (worker ' || coalesce(r.worker_id, 'unknown') || ')'
    where r.status = 'running' and not exists (
      select 1 from trainer_workers w
      where w.id = r.worker_id and w.stopped_at is null
        and w.last_seen >= now() - ${stale})
    returning r.id`);
  return rows.length + (await failUnclaimedRounds(db, stale));
}

/** Queued rounds whose job left the queue (taken, failed or expired) longer ago than a trainer may be silent. */
async function failUnclaimedRounds(db: Db, stale: ReturnType<typeof sql>): Promise<number> {
  const { rows: queue } = await db.execute<{ ok: boolean }>(sql`select to_regclass('pgboss.job') is not null as ok`);
  if (!queue[0]?.ok) return 0; // no queue yet: no job was ever taken
  const { rows } = await db.execute<{ id: string }>(sql`
    update rounds r set status = 'failed', finished_at = now(),
      error = 'The trainer that took this round from the queue stopped before starting it'
    where r.status = 'queued' and exists (
      select 1 from pgboss.job j
      where j.name = ${ROUND_QUEUE} and j.data->>'roundId' = r.id::text
        and j.state not in ('created', 'retry')
        and coalesce(j.started_on, j.created_on) < now() - ${stale})
    returning r.id`);
  return rows.length;
}

/** The reason a round gets when its trainer was told to stop (SIGTERM, SIGINT) mid-run. */
export const TRAINER_STOPPED = "trainer stopped";

/** This worker's running rounds, failed now: the stopping trainer will not finish them. */
export async function failRoundsOfStoppingWorker(db: Db, workerId: string): Promise<number> {
  const { rows } = await db.execute<{ id: string }>(sql`
    update rounds set status = 'failed', finished_at = now(), error = ${TRAINER_STOPPED}
    where status = 'running' and worker_id = ${workerId}
    returning id`);
  return rows.length;
}
