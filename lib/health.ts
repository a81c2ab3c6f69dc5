// GET /api/health (API.md): { ok, db, trainer: { lastSeen, backend }, version }.
import { desc, isNull, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";
import pkg from "@/package.json";

/** A trainer that has not reported for this long is shown as not alive. */
export const TRAINER_STALE_MS = 30_000;

export type Health = {
  ok: boolean;
  db: "ok" | "error";
  trainer: { lastSeen: string | null; backend: string | null; alive: boolean; workers: number };
  version: string;
};

export async function checkHealth(): Promise<Health> {
  const trainer: Health["trainer"] = { lastSeen: null, backend: null, alive: false, workers: 0 };
  try {
    const db = getDb();
    await db.execute(sql`select 1`);
    const live = await db
      .select()
      .from(trainerWorkers)
      .where(isNull(trainerWorkers.stoppedAt))
      .orderBy(desc(trainerWorkers.lastSeen))
      .limit(20);
    const freshest = live[0];
    if (freshest) {
      const cutoff = Date.now() - TRAINER_STALE_MS;
      trainer.lastSeen = freshest.lastSeen.toISOString();
      trainer.backend = freshest.backend;
      trainer.alive = freshest.lastSeen.getTime() >= cutoff;
      trainer.workers = live.filter((w) => w.lastSeen.getTime() >= cutoff).length;
    }
    return { ok: true, db: "ok", trainer, version: pkg.version };
  } catch {
    return { ok: false, db: "error", trainer, version: pkg.version };
  }
}
