// Runs one round job: claims the round (queued → running), runs its phases in order,
// and ends it succeeded or failed with the reason, or cancelled when an admin asked it to
// stop (checked before each phase and at the phases' step boundaries: cancellation.ts).
// A round that is no longer queued (cancelled, or taken by another trainer) is left alone.
import { and, eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { rounds, type Round } from "@/lib/db/schema";
import type { RoundJob } from "@/lib/rounds/queue";
import { roundSettingsSchema } from "@/lib/rounds/round-settings";
import { cancellationCheck, isRoundCancelled, throwIfCancelled } from "./cancellation";
import { PHASE_RUNNERS } from "./phases";
import { roundLog, type RoundLog } from "./round-log";

export type RunContext = {
  workerId: string;
  backend: string;
  print?: (line: string) => void;
  /** at most one cancellation query per this many ms inside phases (cancellation.ts's default) */
  cancelCheckMs?: number;
};

export async function runRound(db: Db, job: RoundJob, ctx: RunContext): Promise<void> {
  const print = ctx.print ?? (() => {});
  const [round] = await db
    .update(rounds)
    .set({ status: "running", startedAt: new Date(), workerId: ctx.workerId })
    .where(and(eq(rounds.id, job.roundId), eq(rounds.status, "queued")))
    .returning();
  if (!round) return print(`round ${job.roundId} is not queued any more; skipped`);
  const log = roundLog(db, round.id, (line) => print(`round ${round.number}: ${line}`));
  try {
    const settings = roundSettingsSchema.parse(round.config);
    const checkCancelled = cancellationCheck(db, round.id, ctx.cancelCheckMs);
    for (const phase of settings.phases) {
      await throwIfCancelled(db, round.id); // unthrottled: once per phase
      await log.phase(phase);
      await PHASE_RUNNERS[phase]({ db, round, settings, log, backend: ctx.backend, checkCancelled });
    }
    const done = await endRound(db, round, ctx.workerId, { status: "succeeded", phase: null });
    await log.phase(null);
    print(done ? `round ${round.number}: succeeded` : `round ${round.number}: finished, but it had already been ended (failed by the orphan sweep?); left as it is`);
  } catch (err) {
    if (isRoundCancelled(err)) return endCancelled(db, round, ctx.workerId, log, print);
    // NUL cannot go into a text column; a failure to record the failure is logged, and the
    // orphaned-round sweep ends the round once this worker stops.
    const message = (err instanceof Error ? err.message : String(err)).replace(/\u0000/g, "") || "failed";
    try {
      await endRound(db, round, ctx.workerId, { status: "failed", error: message });
      await log.phase(null).catch(() => {}); // tells listeners (live charts) at once
    } catch (recordErr) {
      print(`round ${round.number}: could not record its failure: ${recordErr instanceof Error ? recordErr.message : String(recordErr)}`);
    }
    print(`round ${round.number}: failed: ${message}`);
  }
}

/** A cancelled round keeps what earlier phases registered; the phase it stopped in registered nothing. */
async function endCancelled(db: Db, round: Round, workerId: string, log: RoundLog, print: (line: string) => void): Promise<void> {
  try {
    await endRound(db, round, workerId, { status: "cancelled", phase: null, error: null });
    await log.phase(null).catch(() => {}); // tells listeners (live charts) at once
    print(`round ${round.number}: cancelled by an admin`);
  } catch (recordErr) {
    print(`round ${round.number}: could not record its cancellation: ${recordErr instanceof Error ? recordErr.message : String(recordErr)}`);
  }
}

/**
 * Ends a round that is still running on this worker; false when it was not (once the orphan
 * sweep failed it, another round may already run in the project, and this one must not come
 * back to life).
 */
async function endRound(db: Db, round: Round, workerId: string, set: Partial<Pick<Round, "status" | "phase" | "error">>): Promise<boolean> {
  const ended = await db
    .update(rounds)
    .set({ ...set, finishedAt: new Date() })
    .where(and(eq(rounds.id, round.id), eq(rounds.status, "running"), eq(rounds.workerId, workerId)))
    .returning({ id: rounds.id });
  return ended.length > 0;
}
