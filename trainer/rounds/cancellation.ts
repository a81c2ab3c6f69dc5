// How a running round learns that an admin cancelled it: POST /rounds/:id/cancel sets
// rounds.cancel_requested_at (lib/rounds/cancel-round.ts), and the trainer reads it at step
// boundaries: before each phase (run-round.ts) and inside phases through
// `ctx.checkCancelled()`. A phase stopped this way throws RoundCancelled before it records
// an artifact, so a cancelled phase registers nothing; run-round.ts ends the round cancelled.
import { eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { rounds } from "@/lib/db/schema";

/** Phases may call checkCancelled every step; this bounds it to one query per interval. */
export const CANCEL_CHECK_INTERVAL_MS = 1000;

export class RoundCancelled extends Error {
  override name = "RoundCancelled";
  constructor(readonly roundId: string) {
    super("cancelled by an admin");
  }
}

/** True also for a RoundCancelled that crossed a worker thread (there only its name survives). */
export function isRoundCancelled(err: unknown): boolean {
  return err instanceof RoundCancelled || (err instanceof Error && err.name === "RoundCancelled");
}

/** One primary-key read. */
export async function throwIfCancelled(db: Db, roundId: string): Promise<void> {
  const [row] = await db.select({ at: rounds.cancelRequestedAt }).from(rounds).where(eq(rounds.id, roundId));
  if (row?.at) throw new RoundCancelled(roundId);
}

/**
 * The `checkCancelled` of a phase's context: asks the database at most once per
 * `intervalMs` (calls in between return at once), and once cancelled throws on every call.
 */
export function cancellationCheck(db: Db, roundId: string, intervalMs = CANCEL_CHECK_INTERVAL_MS): () => Promise<void> {
  let lastAsked = -Infinity;
  let cancelled = false;
  return async () => {
    if (cancelled) throw new RoundCancelled(roundId);
    const now = performance.now();
    if (now - lastAsked < intervalMs) return;
    lastAsked = now;
    try {
      await throwIfCancelled(db, roundId);
    } catch (err) {
      if (err instanceof RoundCancelled) cancelled = true;
      throw err;
    }
  };
}
