// Rounds that start themselves (API.md): a project with a roundThreshold of N starts a round
// (trigger "threshold", the project's round settings) once N judgments have been created
// since the newest round's judgment watermark, or ever when it has no round. Every judgment
// counts, whatever its origin (human, simulated, imported) and whether or not its annotator
// is excluded: exclusion can be undone, and it keeps the count to one index range
// (judgments_project_created_idx). The newest round counts whatever its status, so a
// cancelled or failed round also waits for N new judgments rather than starting again at once.
//
// Trainers call this every ARBITER_AUTO_ROUND_INTERVAL_MS (trainer/main.ts), any number of
// them at once. Exactly one round starts: a transaction-level advisory lock per project
// lets one caller decide, and it checks again under the lock (a fresh snapshot, so it sees
// a round another caller committed before releasing the lock); the unique index
// rounds_one_active_per_project catches the rest (an admin starting one meanwhile).
import type pg from "pg";
import { ApiError } from "@/lib/api/errors";
import { getPool } from "@/lib/db/client";
import { startRound } from "./start-round";

export type AutoStarted = { projectId: string; roundId: string; number: number };

/**
 * Projects due a round: threshold set, not archived, none queued or running, and at least
 * `round_threshold` judgments after the watermark. The count stops at the threshold
 * (`limit`), so its cost does not grow with the judgments waiting.
 */
const DUE = `
  select p.id from projects p
  where p.archived_at is null and p.round_threshold is not null
    and ($1::uuid is null or p.id = $1)
    and not exists (select 1 from rounds r where r.project_id = p.id and r.status in ('queued', 'running'))
    and (
      select count(*) from (
        select 1 from judgments j
        where j.project_id = p.id
          and j.created_at > coalesce(
            (select r.judgment_watermark from rounds r where r.project_id = p.id order by r.number desc limit 1),
            '-infinity')
        limit p.round_threshold) due
    ) >= p.round_threshold`;

/** Per project, so unrelated projects never wait on each other; a hash collision only skips a turn. */
const LOCK = `select pg_try_advisory_xact_lock(hashtextextended('arbiter.auto_round:' || $1::text, 0)) as locked`;

/** Every project due a round, or only `projectId`; returns the rounds this call started. */
export async function startRoundsDueToThreshold(opts: { projectId?: string; log?: (line: string) => void } = {}): Promise<AutoStarted[]> {
  const log = opts.log ?? (() => {});
  const pool = getPool();
  const { rows: due } = await pool.query<{ id: string }>(DUE, [opts.projectId ?? null]);
  const started: AutoStarted[] = [];
  for (const { id } of due) {
    try {
      const round = await startIfStillDue(pool, id);
      if (round) started.push({ projectId: id, roundId: round.id, number: round.number });
    } catch (err) {
      // One project's trouble (round settings that no longer parse) must not stop the others.
      log(`auto round for project ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return started;
}

/**
 * Holds the project's lock on one connection while startRound commits the round on another,
 * so a caller that gets the lock next sees that round.
 */
async function startIfStillDue(pool: pg.Pool, projectId: string): Promise<{ id: string; number: number } | null> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const { rows } = await client.query<{ locked: boolean }>(LOCK, [projectId]);
    if (!rows[0]?.locked) return null; // another caller is deciding for this project
    const still = await client.query(DUE, [projectId]);
    if (still.rowCount === 0) return null;
    try {
      return await startRound({ projectId, trigger: "threshold", requestedBy: null });
    } catch (err) {
      // conflict: a round started meanwhile (an admin); not_found: archived meanwhile.
      if (err instanceof ApiError && (err.code === "conflict" || err.code === "not_found")) return null;
      throw err;
    }
  } finally {
    await client.query("commit").catch(() => {});
    client.release();
  }
}
