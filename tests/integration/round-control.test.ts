// Rounds an admin can stop (POST /api/v1/rounds/:id/cancel) and rounds that start
// themselves at a project's roundThreshold (lib/rounds/auto-trigger.ts).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb, getPool } from "@/lib/db/client";
import { modelArtifacts, projects, rounds, type Project } from "@/lib/db/schema";
import { startRoundsDueToThreshold } from "@/lib/rounds/auto-trigger";
import { stopSender } from "@/lib/rounds/boss";
import { roundView, type RoundView } from "@/lib/rounds/round-view";
import { startRound } from "@/lib/rounds/start-round";
import { RoundCancelled, cancellationCheck, throwIfCancelled } from "@/trainer/rounds/cancellation";
import { runRound } from "@/trainer/rounds/run-round";
import { selectBackend } from "@/trainer/tf/backend";
import { anAdmin, annotators, aProject, importText, ndjson } from "./fixtures";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-round-control-"));
const thresholdProjects: Project[] = [];

beforeAll(async () => {
  process.env.ARBITER_DATA_DIR = dataDir;
  await selectBackend("wasm");
});
afterAll(async () => {
  // Leave no project that a later trainer in this database would start rounds for.
  for (const p of thresholdProjects) await getDb().update(projects).set({ roundThreshold: null }).where(eq(projects.id, p.id));
  await stopSender();
  delete process.env.ARBITER_DATA_DIR;
});

/** Existing preferences (imported judgments): polite answers beat rude ones; `tag` keeps batches distinct. */
function preferences(n: number, tag = "") {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `Can you help with task ${tag}${i}?`,
    chosen: `Of course, happy to help with task ${tag}${i}. Thanks!`,
    rejected: `No. Task ${tag}${i} is your problem.`,
  }));
}

async function cancelCall(roundId: string, token: string): Promise<Response> {
  const { NextRequest } = await import("next/server");
  const { POST } = await import("@/app/api/v1/rounds/[id]/cancel/route");
  const req = new NextRequest(`http://localhost/api/v1/rounds/${roundId}/cancel`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  return POST(req, { params: Promise.resolve({ id: roundId }) });
}

async function adminToken(): Promise<string> {
  return (await createApiToken((await anAdmin()).id, "test")).token;
}

describe("cancelling a round", () => {
  it("cancels a queued round at once; its job, fetched later, runs nothing; a finished round is a 409", async () => {
    const project = await aProject({ mode: "pairwise" });
    await importText(project, ndjson(preferences(4)));
    const { id } = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    const token = await adminToken();

    const res = await cancelCall(id, token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as RoundView;
    expect(body).toMatchObject({ id, status: "cancelled", startedAt: null });
    expect(body.finishedAt).not.toBeNull();
    expect(body.error).toBeUndefined();

    const lines: string[] = [];
    await runRound(getDb(), { roundId: id }, { workerId: "test", backend: "wasm", print: (l) => lines.push(l) });
    expect(lines.join("\n")).toContain("not queued any more");
    const [after] = await getDb().select().from(rounds).where(eq(rounds.id, id));
    expect(after).toMatchObject({ status: "cancelled", startedAt: null, workerId: null });

    const again = await cancelCall(id, token);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe("conflict");
    // The project may start another round straight away.
    expect((await startRound({ projectId: project.id, trigger: "admin", requestedBy: null })).number).toBe(2);
  });

  it("is for admins only, and a 404 for an unknown round", async () => {
    const project = await aProject({ mode: "pairwise" });
    await importText(project, ndjson(preferences(2)));
    const { id } = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    const [annotator] = await annotators(project, 1);
    const { token } = await createApiToken(annotator!.id, "test");
    const res = await cancelCall(id, token);
    expect(res.status).toBe(403);
    expect((await roundView(id))?.status).toBe("queued");
    expect((await cancelCall("00000000-0000-4000-8000-000000000000", await adminToken())).status).toBe(404);
    await getDb().update(rounds).set({ status: "failed", finishedAt: new Date() }).where(eq(rounds.id, id));
    expect((await cancelCall(id, await adminToken())).status).toBe(409);
  });

  it("throwIfCancelled reads the request; the throttled check asks at most once per interval, then keeps throwing", async () => {
    const project = await aProject({ mode: "pairwise" });
    await importText(project, ndjson(preferences(2)));
    const { id } = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    await getDb().update(rounds).set({ status: "running" }).where(eq(rounds.id, id));
    await expect(throwIfCancelled(getDb(), id)).resolves.toBeUndefined();
    const check = cancellationCheck(getDb(), id, 60_000);
    await check(); // asks: not cancelled
    const res = await cancelCall(id, await adminToken());
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id, status: "running" });
    await expect(throwIfCancelled(getDb(), id)).rejects.toBeInstanceOf(RoundCancelled);
    await expect(check()).resolves.toBeUndefined(); // within the interval: not asked again
    const eager = cancellationCheck(getDb(), id, 0);
    await expect(eager()).rejects.toBeInstanceOf(RoundCancelled);
    await expect(eager()).rejects.toBeInstanceOf(RoundCancelled);
    // Asked again while running: still 202, the first request's time kept.
    const [before] = await getDb().select().from(rounds).where(eq(rounds.id, id));
    expect((await cancelCall(id, await adminToken())).status).toBe(202);
    const [after] = await getDb().select().from(rounds).where(eq(rounds.id, id));
    expect(after!.cancelRequestedAt).toEqual(before!.cancelRequestedAt);
    await getDb().update(rounds).set({ status: "cancelled" }).where(eq(rounds.id, id));
  });

  it("stops a running round at the next epoch: it ends cancelled and registers no model", async () => {
    const project = await aProject({
      mode: "pairwise",
      roundSettings: { phases: ["reward_model"], rewardModel: { epochs: 40, patience: 100, batchSize: 8, maxTokens: 48 } },
    });
    await importText(project, ndjson(preferences(12)));
    const { id } = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    const token = await adminToken();
    let cancelled: Promise<Response> | undefined;
    const lines: string[] = [];
    await runRound(getDb(), { roundId: id }, {
      workerId: "test",
      backend: "wasm (simd)",
      cancelCheckMs: 0,
      print: (line) => {
        lines.push(line);
        if (line.includes("epoch 1:")) cancelled ??= cancelCall(id, token);
      },
    });
    expect(cancelled, lines.join("\n")).toBeDefined();
    expect((await cancelled!).status).toBe(202); // it was running when asked
    const view = await roundView(id);
    expect(view, lines.join("\n")).toMatchObject({ status: "cancelled", phase: null });
    expect(view!.error).toBeUndefined();
    expect(view!.finishedAt).not.toBeNull();
    const epochs = view!.history.filter((m) => m.name === "train/loss").length;
    expect(epochs).toBeGreaterThanOrEqual(1);
    expect(epochs).toBeLessThan(40);
    expect(await getDb().select().from(modelArtifacts).where(eq(modelArtifacts.roundId, id))).toHaveLength(0);
    expect(lines.at(-1)).toContain("cancelled by an admin");
  }, 120_000);

  it("a request that arrives before the first phase stops the round before it starts training", async () => {
    const project = await aProject({ mode: "pairwise" });
    await importText(project, ndjson(preferences(4)));
    const { id } = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    // As if the request came between the trainer's claim and its first phase.
    await getDb().update(rounds).set({ cancelRequestedAt: new Date() }).where(eq(rounds.id, id));
    await runRound(getDb(), { roundId: id }, { workerId: "test", backend: "wasm" });
    const view = await roundView(id);
    expect(view).toMatchObject({ status: "cancelled", history: [], artifacts: [] });
    expect(view!.startedAt).not.toBeNull();
  });
});

describe("rounds that start at a project's threshold", () => {
  async function thresholdProject(n: number): Promise<Project> {
    const project = await aProject({ mode: "pairwise", roundThreshold: n });
    thresholdProjects.push(project);
    return project;
  }
  const projectRounds = (projectId: string) => getDb().select().from(rounds).where(eq(rounds.projectId, projectId)).orderBy(rounds.number);
  const tick = (projectId: string) => startRoundsDueToThreshold({ projectId });

  it("starts one round at N new judgments, none at N−1, none while one is active, and counts from its watermark", async () => {
    const project = await thresholdProject(3);
    await importText(project, ndjson(preferences(2, "a")));
    expect(await tick(project.id)).toEqual([]);
    expect(await projectRounds(project.id)).toHaveLength(0);

    await importText(project, ndjson(preferences(1, "b")));
    const started = await tick(project.id);
    expect(started).toHaveLength(1);
    const [first] = await projectRounds(project.id);
    expect(first).toMatchObject({ id: started[0]!.roundId, number: 1, trigger: "threshold", requestedBy: null, status: "queued" });
    expect(first!.config).toMatchObject({ phases: ["reward_model"] }); // the project's round settings
    const { rows: jobs } = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from pgboss.job where name = 'rounds.run' and data->>'roundId' = ${first!.id}`);
    expect(jobs[0]!.n).toBe(1);

    // Judgments after round 1's watermark, while it is queued, then running: no second round.
    await importText(project, ndjson(preferences(3, "c")));
    expect(await tick(project.id)).toEqual([]);
    await getDb().update(rounds).set({ status: "running" }).where(eq(rounds.id, first!.id));
    expect(await tick(project.id)).toEqual([]);
    // Once it has finished, those 3 are N new judgments since its watermark.
    await getDb().update(rounds).set({ status: "succeeded", finishedAt: new Date() }).where(eq(rounds.id, first!.id));
    expect(await tick(project.id)).toHaveLength(1);
    const second = (await projectRounds(project.id))[1]!;
    expect(second).toMatchObject({ number: 2, trigger: "threshold" });

    // A cancelled round counts too: N new judgments after its watermark again.
    await getDb().update(rounds).set({ status: "cancelled", finishedAt: new Date() }).where(eq(rounds.id, second.id));
    expect(await tick(project.id)).toEqual([]);
    await importText(project, ndjson(preferences(2, "d")));
    expect(await tick(project.id)).toEqual([]);
    await importText(project, ndjson(preferences(1, "e")));
    expect(await tick(project.id)).toHaveLength(1);
    expect((await projectRounds(project.id)).map((r) => r.trigger)).toEqual(["threshold", "threshold", "threshold"]);
  });

  it("starts exactly one round when several callers check at once", async () => {
    const project = await thresholdProject(2);
    await importText(project, ndjson(preferences(2)));
    const results = await Promise.all([tick(project.id), tick(project.id), startRoundsDueToThreshold(), tick(project.id)]);
    expect(results.flat().filter((r) => r.projectId === project.id)).toHaveLength(1);
    const all = await projectRounds(project.id);
    expect(all).toHaveLength(1);
    expect(all[0]!.trigger).toBe("threshold");
  });

  it("leaves a project alone while another caller holds its lock, and after an admin started a round", async () => {
    const project = await thresholdProject(1);
    await importText(project, ndjson(preferences(1)));
    const other = await getPool().connect();
    try {
      await other.query("begin");
      await other.query(`select pg_advisory_xact_lock(hashtextextended('arbiter.auto_round:' || $1::text, 0))`, [project.id]);
      expect(await tick(project.id)).toEqual([]);
    } finally {
      await other.query("rollback");
      other.release();
    }
    await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    expect(await tick(project.id)).toEqual([]);
    expect((await projectRounds(project.id)).map((r) => r.trigger)).toEqual(["admin"]);
  });

  it("never starts rounds for projects without a threshold or archived ones", async () => {
    const none = await aProject({ mode: "pairwise" });
    await importText(none, ndjson(preferences(3)));
    const archived = await thresholdProject(1);
    await importText(archived, ndjson(preferences(1)));
    await getDb().update(projects).set({ archivedAt: new Date() }).where(eq(projects.id, archived.id));
    const started = await startRoundsDueToThreshold();
    expect(started.filter((r) => r.projectId === none.id || r.projectId === archived.id)).toEqual([]);
    expect(await projectRounds(none.id)).toHaveLength(0);
    expect(await projectRounds(archived.id)).toHaveLength(0);
  });
});
