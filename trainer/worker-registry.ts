// Each trainer process has a row in trainer_workers and refreshes last_seen on a timer;
// /api/health reports the freshest one, so an admin can see a trainer is alive and which
// TensorFlow.js backend it runs on.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";

export type WorkerRegistration = { id: string; stop(): Promise<void> };

export async function registerWorker(
  db: Db,
  opts: { backend: string; version: string; heartbeatMs: number; url?: string | null; onError?: (err: unknown) => void },
): Promise<WorkerRegistration> {
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  await db.insert(trainerWorkers).values({
    id,
    hostname: hostname(),
    pid: process.pid,
    backend: opts.backend,
    version: opts.version,
    url: opts.url ?? null,
  });
  const beat = () =>
    db
      .update(trainerWorkers)
      .set({ lastSeen: new Date() })
      .where(eq(trainerWorkers.id, id))
      .catch((err) => opts.onError?.(err));
  const timer = setInterval(beat, opts.heartbeatMs);
  return {
    id,
    async stop() {
      clearInterval(timer);
      await db.update(trainerWorkers).set({ stoppedAt: new Date() }).where(eq(trainerWorkers.id, id));
    },
  };
}
