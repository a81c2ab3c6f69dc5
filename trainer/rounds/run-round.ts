// Runs one round job. The phases (reward model → PPO → generate → compare) arrive with
// the RLHF-rounds work; until then a round that reaches this trainer fails with a clear
// message instead of sitting in "queued" forever.
import { eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { rounds } from "@/lib/db/schema";
import type { RoundJob } from "@/lib/rounds/queue";

export async function runRound(db: Db, job: RoundJob, workerId: string): Promise<void> {
  await db
    .update(rounds)
    .set({
      status: "failed",
      workerId,
      startedAt: new Date(),
      finishedAt: new Date(),
      error: "This trainer version cannot run rounds yet: reward-model and PPO phases are not built.",
    })
    .where(eq(rounds.id, job.roundId));
}
