// GET /api/health (API.md): whether this web process can serve, for people and for a load
// balancer. Three states:
//   down      the database did not answer `select 1` within HEALTH_DB_TIMEOUT_MS: nothing
//             works, answer 503 so a balancer stops sending here;
//   degraded  annotation works but something needs attention (no live trainer, this
//             process's submit queue over half full, its live-event streams at the cap,
//             requests waiting for one of the pool's connections): 200, with the reasons;
//   ok        200.
// The database is asked on a connection of health's own (a pool of one), not the requests'
// pool: a saturated pool is a busy server (degraded), not a dead database, and a flood of
// checks cannot take connections submits need. One check at a time, its answer reused for
// HEALTH_CACHE_MS, so a flood costs one query a second.
import { desc, isNull, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { env } from "@/lib/config/env";
import { connectionConfig, getPool } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";
import { submitBacklog } from "@/lib/judgments/submit-judgment";
import { eventStreamStats } from "@/lib/rounds/round-listener";
import pkg from "@/package.json";

/** A trainer that has not reported for this long is shown as not alive: TRAINER_STALE_MS's default. */
export const TRAINER_STALE_MS = 30_000;

/** The staleness in force (the TRAINER_STALE_MS setting; shorter in the short chaos test). */
export function trainerStaleMs(): number {
  return env().TRAINER_STALE_MS;
}
/** Longer than this without an answer from the database is "down": a balancer's check waits a few seconds at most. */
export const HEALTH_DB_TIMEOUT_MS = 2_000;
/** How long one reading of the database is reused. */
export const HEALTH_CACHE_MS = 1_000;

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
  /** requests of this web process waiting for one of its database pool's connections, and the pool's size */
  dbPool: { waiting: number; max: number };
  version: string;
};

class Timeout extends Error {}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Timeout()), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

type HealthDb = { url: string | undefined; pool: pg.Pool };
const globalForHealth = globalThis as unknown as { __arbiterHealthDb?: HealthDb; __arbiterHealthReading?: Reading };
type Reading = { url: string | undefined; at: number; result: Promise<Health["trainer"]> };

/** Health's own pool of one connection, for the current DATABASE_URL. */
function healthDb() {
  const url = process.env.DATABASE_URL;
  let h = globalForHealth.__arbiterHealthDb;
  if (h && h.url !== url) {
    void h.pool.end().catch(() => {});
    h = undefined;
  }
  if (!h) {
    const pool = new pg.Pool({ ...connectionConfig("request", url), connectionTimeoutMillis: HEALTH_DB_TIMEOUT_MS, max: 1, application_name: "arbiter health" });
    pool.on("error", () => {}); // an idle connection lost: the next check connects again
    h = globalForHealth.__arbiterHealthDb = { url, pool };
  }
  return drizzle(h.pool);
}

/** The database's answer: one check in flight at a time, reused for HEALTH_CACHE_MS. */
function readTrainerShared(): Promise<Health["trainer"]> {
  const url = process.env.DATABASE_URL;
  const last = globalForHealth.__arbiterHealthReading;
  if (last && last.url === url && (last.at === 0 || Date.now() - last.at < HEALTH_CACHE_MS)) return last.result;
  const reading: Reading = { url, at: 0, result: within(HEALTH_DB_TIMEOUT_MS, readTrainer()) };
  // in flight (at 0) until it settles, then reused for HEALTH_CACHE_MS
  void reading.result.then(
    () => (reading.at = Date.now()),
    () => (reading.at = Date.now()),
  );
  globalForHealth.__arbiterHealthReading = reading;
  return reading.result;
}

/** For tests that change what the database says: the next check reads it again. */
export function forgetHealthReading(): void {
  globalForHealth.__arbiterHealthReading = undefined;
}

async function readTrainer(): Promise<Health["trainer"]> {
  const trainer: Health["trainer"] = { lastSeen: null, backend: null, alive: false, workers: 0 };
  const db = healthDb();
  await db.execute(sql`select 1`);
  const live = await db.select().from(trainerWorkers).where(isNull(trainerWorkers.stoppedAt)).orderBy(desc(trainerWorkers.lastSeen)).limit(20);
  const freshest = live[0];
  if (freshest) {
    const cutoff = Date.now() - trainerStaleMs();
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
  const pool = getPool();
  const dbPool = { waiting: pool.waitingCount, max: pool.options.max };
  const base = { submitQueue: backlog, eventStreams: { open: streams.streams, max: streams.max }, dbPool, version: pkg.version };
  let trainer: Health["trainer"];
  try {
    trainer = await readTrainerShared();
  } catch (err) {
    const reason = err instanceof Timeout ? `the database did not answer within ${HEALTH_DB_TIMEOUT_MS / 1000} s` : "the database is unreachable";
    const unknown = { lastSeen: null, backend: null, alive: false, workers: 0 };
    return { status: "down", ok: false, reasons: [reason], db: "error", trainer: unknown, ...base };
  }
  const reasons: string[] = [];
  if (!trainer.alive) {
    reasons.push(trainer.lastSeen ? `no trainer has reported for ${trainerStaleMs() / 1000} s: rounds wait and reward scores are unavailable` : "no trainer has ever reported: rounds wait and reward scores are unavailable");
  }
  if (backlog.pending > backlog.max / 2) reasons.push(`the submit queue is backing up: ${backlog.pending} of ${backlog.max} places taken`);
  if (dbPool.waiting > 0) reasons.push(`all ${dbPool.max} database connections of this process are busy: ${dbPool.waiting} request(s) waiting for one`);
  if (streams.streams >= streams.max) reasons.push(`live round streams are at their limit (${streams.max}); new ones are refused`);
  return { status: reasons.length ? "degraded" : "ok", ok: true, reasons, db: "ok", trainer, ...base };
}
