// A round whose trainer died mid-run (killed, machine lost) would stay "running" forever and,
// through the one-active-round-per-project index, block every later round. Trainers sweep
// for such rounds at start and every ARBITER_ORPHAN_SWEEP_MS (a minute): running, with a worker that has stopped or
// not reported within TRAINER_STALE_MS (30 s), means failed (not handed back to the queue:
// an admin starts the round again). A trainer told to stop (SIGTERM) fails its own round
// at once instead (failRoundsOfStoppingWorker), before the supervisor's grace runs out.
import { sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { trainerStaleMs } from "@/lib/health";

export async function failOrphanedRounds(db: Db): Promise<number> {
  const { rows } = await db.execute<{ id: string }>(sql`
    update rounds r set status = 'failed', finished_at = now(),
      error = 'The trainer running this round stopped before it finished (worker ' || coalesce(r.worker_id, 'unknown') || ')'
    where r.status = 'running' and not exists (
      select 1 from trainer_workers w
      where w.id = r.worker_id and w.stopped_at is null
        and w.last_seen >= now() - make_interval(secs => ${trainerStaleMs() / 1000}))
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
