// GET /api/health (API.md): whether this web process can serve, for people and for a load
// balancer. Three states:
//   down      the database did not answer `select 1` within HEALTH_DB_TIMEOUT_MS: nothing
//             works, answer 503 so a balancer stops sending here;
//   degraded  annotation works but something needs attention (no live trainer, this
//             process's submit queue over half full, its live-event streams at the cap):
//             200, with the reasons;
//   ok        200.
import { desc, isNull, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";
import { submitBacklog } from "@/lib/judgments/submit-judgment";
import { eventStreamStats } from "@/lib/rounds/round-listener";
import pkg from "@/package.json";

/** A trainer that has not reported for this long is shown as not alive. */
export const TRAINER_STALE_MS = 30_000;
/** Longer than this without an answer from the database is "down": a balancer's check waits a few seconds at most. */
export const HEALTH_DB_TIMEOUT_MS = 2_000;

export type HealthStatus = "ok" | "degraded" | "down";

export type Health = {
  status: HealthStatus;
  /** false only when down (kept from the first version of this answer) */
  ok: boolean;
  /** why the status is not ok, one sentence each */
  reasons: string[];
  db: "ok" | "error";
  trainer: { lastSeen: string | null; backend: string | null; alive: boolean; workers: number };
  /** this web process's submits waiting or being written, and the bound */
  submitQueue: { pending: number; max: number };
  /** this web process's live round-event streams, and the cap */
  eventStreams: { open: number; max: number };
  version: string;
};

class Timeout extends Error {}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Timeout()), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function readTrainer(): Promise<Health["trainer"]> {
  const trainer: Health["trainer"] = { lastSeen: null, backend: null, alive: false, workers: 0 };
  const db = getDb();
  await db.execute(sql`select 1`);
  const live = await db.select().from(trainerWorkers).where(isNull(trainerWorkers.stoppedAt)).orderBy(desc(trainerWorkers.lastSeen)).limit(20);
  const freshest = live[0];
  if (freshest) {
    const cutoff = Date.now() - TRAINER_STALE_MS;
    trainer.lastSeen = freshest.lastSeen.toISOString();
    trainer.backend = freshest.backend;
    trainer.alive = freshest.lastSeen.getTime() >= cutoff;
    trainer.workers = live.filter((w) => w.lastSeen.getTime() >= cutoff).length;
  }
  return trainer;
}

export async function checkHealth(): Promise<Health> {
  const backlog = submitBacklog();
  const streams = eventStreamStats();
  const base = { submitQueue: backlog, eventStreams: { open: streams.streams, max: streams.max }, version: pkg.version };
  let trainer: Health["trainer"];
  try {
    trainer = await within(HEALTH_DB_TIMEOUT_MS, readTrainer());
  } catch (err) {
    const reason = err instanceof Timeout ? `the database did not answer within ${HEALTH_DB_TIMEOUT_MS / 1000} s` : "the database is unreachable";
    const unknown = { lastSeen: null, backend: null, alive: false, workers: 0 };
    return { status: "down", ok: false, reasons: [reason], db: "error", trainer: unknown, ...base };
  }
  const reasons: string[] = [];
  if (!trainer.alive) {
    reasons.push(trainer.lastSeen ? `no trainer has reported for ${TRAINER_STALE_MS / 1000} s: rounds wait and reward scores are unavailable` : "no trainer has ever reported: rounds wait and reward scores are unavailable");
  }
  if (backlog.pending > backlog.max / 2) reasons.push(`the submit queue is backing up: ${backlog.pending} of ${backlog.max} places taken`);
  if (streams.streams >= streams.max) reasons.push(`live round streams are at their limit (${streams.max}); new ones are refused`);
  return { status: reasons.length ? "degraded" : "ok", ok: true, reasons, db: "ok", trainer, ...base };
}
