// Cancelling a round (API.md): a queued round is cancelled at once; a running one is asked to
// stop, and its trainer ends it `cancelled` at the next step boundary
// (trainer/rounds/cancellation.ts). One statement decides which, under the row's lock, so a
// trainer claiming the round at the same moment (queued → running) cannot slip between:
// whichever update comes second sees the other's row.
import { eq, sql } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { getDb } from "@/lib/db/client";
import { rounds } from "@/lib/db/schema";
import { ROUND_CHANNEL } from "./queue";

export type CancelOutcome = "cancelled" | "requested";

/** `projectId` scopes the round to a project (pages pass theirs); the API has only the round's id. */
export async function cancelRound({ roundId, projectId }: { roundId: string; projectId?: string }): Promise<CancelOutcome> {
  const db = getDb();
  const { rows } = await db.execute<{ was_queued: boolean }>(sql`
    update rounds set
      status = case when status = 'queued' then 'cancelled'::round_status else status end,
      finished_at = case when status = 'queued' then now() else finished_at end,
      cancel_requested_at = coalesce(cancel_requested_at, now())
    where id = ${roundId} and status in ('queued', 'running')
      ${projectId ? sql`and project_id = ${projectId}` : sql``}
    returning (status = 'cancelled') as was_queued`);
  const row = rows[0];
  if (!row) {
    const [round] = await db.select({ status: rounds.status, projectId: rounds.projectId }).from(rounds).where(eq(rounds.id, roundId));
    if (!round || (projectId && round.projectId !== projectId)) throw new ApiError("not_found", "No such round");
    throw new ApiError("conflict", `The round has already ${round.status === "cancelled" ? "been cancelled" : round.status}`);
  }
  // Live views (GET /rounds/:id/events) re-read the round on any notification of it.
  await db.execute(sql`select pg_notify(${ROUND_CHANNEL}, ${JSON.stringify({ roundId, type: "cancel" })})`);
  return row.was_queued ? "cancelled" : "requested";
}
