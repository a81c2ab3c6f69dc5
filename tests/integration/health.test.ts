// GET /api/health tells degraded from down, so a load balancer can act on it: the database
// unreachable or silent is down (503, within a few seconds); no live trainer or a backed-up
// submit queue is degraded (200) with the reasons.
import { randomUUID } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { isNull, sql } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { GET as healthRoute } from "@/app/api/health/route";
import { closeDb, getDb, getPool } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";
import { forgetHealthReading, HEALTH_CACHE_MS, type Health } from "@/lib/health";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { nextTask, type Task } from "@/lib/tasks/next-task";
import { registerWorker } from "@/trainer/worker-registry";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

vi.hoisted(() => {
  vi.stubEnv("ARBITER_SUBMIT_QUEUE_MAX", "4");
  vi.stubEnv("ARBITER_SUBMIT_IN_FLIGHT", "1");
});
// the worker process may run other files next: give them the environment back
afterAll(() => {
  vi.unstubAllEnvs();
});

/** The health answer as a balancer gets it; `fresh` (the default) reads the database again rather than reuse the last second's reading. */
async function health(fresh = true): Promise<{ status: number; body: Health; ms: number }> {
  if (fresh) forgetHealthReading();
  const start = Date.now();
  const res = await healthRoute();
  return { status: res.status, body: (await res.json()) as Health, ms: Date.now() - start };
}

/** Every trainer heartbeat older than the staleness limit (as after the trainers died). */
async function noLiveTrainer(): Promise<void> {
  await getDb().update(trainerWorkers).set({ lastSeen: sql`now() - interval '1 hour'` }).where(isNull(trainerWorkers.stoppedAt));
}

/** The web process pointed at another database URL for the length of `fn`. */
async function withDatabaseAt<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const real = process.env.DATABASE_URL;
  await closeDb();
  process.env.DATABASE_URL = url;
  try {
    return await fn();
  } finally {
    await closeDb();
    process.env.DATABASE_URL = real;
  }
}

describe("GET /api/health", () => {
  it("is ok (200) with a live trainer and an idle queue", async () => {
    const worker = await registerWorker(getDb(), { backend: "wasm (simd)", version: "test", heartbeatMs: 60_000 });
    try {
      const { status, body } = await health();
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: "ok", ok: true, reasons: [], db: "ok", trainer: { alive: true }, submitQueue: { pending: 0, max: 4 } });
    } finally {
      await worker.stop();
    }
  });

  it("is degraded (200) without a live trainer, saying so", async () => {
    await noLiveTrainer();
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.status).toBe("degraded");
    expect(body.ok).toBe(true);
    expect(body.reasons.join(" ")).toMatch(/trainer/);
  });

  it("is degraded (200) while this process's submit queue is over half full", async () => {
    const worker = await registerWorker(getDb(), { backend: "wasm (simd)", version: "test", heartbeatMs: 60_000 });
    try {
      await backedUpQueue();
    } finally {
      await worker.stop();
    }
  });

  async function backedUpQueue() {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(project, ndjson(responseRecords(6, 2, "health")));
    const team = await annotators(project, 3);
    const tasks = (await Promise.all(team.map((me) => nextTask(project, me)))) as Task[];
    // the database holds the comparisons' rows (a long transaction): three submits wait
    const holder = await getPool().connect();
    await holder.query("begin");
    await holder.query("select 1 from comparisons where id = any($1::uuid[]) for update", [tasks.map((t) => t.comparisonId)]);
    let submits: Promise<unknown>[] = [];
    try {
      submits = team.map((me, i) =>
        submitJudgment(tasks[i]!.comparisonId, me, { clientId: randomUUID(), ranking: [[tasks[i]!.responses[0]!.id], [tasks[i]!.responses[1]!.id]] }),
      );
      await new Promise((r) => setTimeout(r, 300));
      const { status, body } = await health();
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: "degraded", submitQueue: { pending: 3, max: 4 } });
      expect(body.reasons.join(" ")).toMatch(/submit queue/);
    } finally {
      await holder.query("commit");
      holder.release();
      await Promise.all(submits);
    }
    expect((await health()).body).toMatchObject({ status: "ok", submitQueue: { pending: 0 } });
  }

  it("is down (503) when the database refuses connections", async () => {
    const { status, body, ms } = await withDatabaseAt("postgres://u:p@127.0.0.1:1/none", health);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: "down", ok: false, db: "error" });
    expect(body.reasons).toEqual(["the database is unreachable"]);
    expect(ms).toBeLessThan(3000);
  });

  it("is down (503) within a few seconds when the database accepts connections but does not answer (stalled)", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const { port } = silent.address() as { port: number };
      const { status, body, ms } = await withDatabaseAt(`postgres://u:p@127.0.0.1:${port}/none`, health);
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: "down", reasons: [expect.stringMatching(/did not answer within 2 s/)] });
      expect(ms).toBeLessThan(3000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("reads the database on a connection of its own: every pool connection taken is degraded (200), not down", async () => {
    const worker = await registerWorker(getDb(), { backend: "wasm (simd)", version: "test", heartbeatMs: 60_000 });
    const pool = getPool();
    const held = await Promise.all(Array.from({ length: pool.options.max }, () => pool.connect()));
    const waiting = pool.connect(); // a request waiting for a connection
    try {
      const { status, body, ms } = await health();
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: "degraded", db: "ok", trainer: { alive: true }, dbPool: { waiting: 1, max: pool.options.max } });
      expect(body.reasons).toEqual([expect.stringMatching(/database connections of this process are busy: 1 request\(s\) waiting/)]);
      expect(ms).toBeLessThan(1000);
    } finally {
      for (const c of held) c.release();
      (await waiting).release();
      await worker.stop();
    }
  });

  it("answers a flood from one reading of the database a second", async () => {
    const worker = await registerWorker(getDb(), { backend: "wasm (simd)", version: "test", heartbeatMs: 60_000 });
    try {
      expect((await health()).body.trainer.alive).toBe(true);
      await worker.stop(); // the trainer goes away: the next second's answers still say what was read
      const flood = await Promise.all(Array.from({ length: 20 }, () => health(false)));
      expect(flood.map((r) => r.body.trainer.alive)).toEqual(Array(20).fill(true));
      await new Promise((r) => setTimeout(r, HEALTH_CACHE_MS + 100));
      expect((await health(false)).body).toMatchObject({ status: "degraded", trainer: { alive: false } });
    } finally {
      await worker.stop();
    }
  });
});
