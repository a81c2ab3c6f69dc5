// Each trainer process has a row in trainer_workers and refreshes last_seen on a timer;
// /api/health reports the freshest one, so an admin can see a trainer is alive and which
// TensorFlow.js backend it runs on. The beat also reports which models its server holds
// loaded, for the web app to send work to one that has the model (lib/models/trainer-client.ts).
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";

export type WorkerRegistration = {
  id: string;
  /** Reports now, not at the next tick (the loaded models changed). */
  beat(): Promise<void>;
  stop(): Promise<void>;
};

export async function registerWorker(
  db: Db,
  opts: {
    backend: string;
    version: string;
    heartbeatMs: number;
    url?: string | null;
    /** artifact paths the scoring server holds loaded now */
    loadedModels?: () => string[];
    onError?: (err: unknown) => void;
  },
): Promise<WorkerRegistration> {
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  await db.insert(trainerWorkers).values({
    id,
    hostname: hostname(),
    pid: process.pid,
    backend: opts.backend,
    version: opts.version,
    url: opts.url ?? null,
    loadedModels: opts.loadedModels?.() ?? [],
  });
  const beat = () =>
    db
      .update(trainerWorkers)
      .set({ lastSeen: new Date(), ...(opts.loadedModels ? { loadedModels: opts.loadedModels() } : {}) })
      .where(eq(trainerWorkers.id, id))
      .then(() => undefined)
      .catch((err) => opts.onError?.(err));
  const timer = setInterval(beat, opts.heartbeatMs);
  return {
    id,
    beat,
    async stop() {
      clearInterval(timer);
      await db.update(trainerWorkers).set({ stoppedAt: new Date() }).where(eq(trainerWorkers.id, id));
    },
  };
}
