// A trainer killed with SIGKILL in the middle of PPO: the round does not stay running, no
// half-written model is registered (folders are written under a temporary name and renamed
// before their row is recorded), and the next round runs.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { modelArtifacts, rounds, trainerWorkers } from "@/lib/db/schema";
import { stopSender } from "@/lib/rounds/boss";
import { roundView } from "@/lib/rounds/round-view";
import { startRound } from "@/lib/rounds/start-round";
import { failOrphanedRounds } from "@/trainer/rounds/orphaned-rounds";
import { runRound } from "@/trainer/rounds/run-round";
import { selectBackend } from "@/trainer/tf/backend";
import { aProject, importText, ndjson } from "./fixtures";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-kill-"));
const root = path.resolve(import.meta.dirname, "..", "..");

beforeAll(async () => {
  process.env.ARBITER_DATA_DIR = dataDir;
  await selectBackend("wasm");
});
afterAll(async () => {
  await stopSender();
  delete process.env.ARBITER_DATA_DIR;
});

const TINY = { nEmbd: 32, nLayer: 1, nHead: 2, nPositions: 128 };

describe("a trainer killed mid-PPO", () => {
  it("leaves the round failed (not running) with nothing from the phase it was in registered, and the next round succeeds", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    const prefs = Array.from({ length: 40 }, (_, i) => ({ prompt: `Help with task ${i}?`, chosen: `Sure, task ${i} done.`, rejected: `No.` }));
    await importText(project, ndjson([...prefs, ...prefs.map((p) => ({ prompt: p.prompt, completion: p.chosen }))]));
    const { id } = await startRound({
      projectId: project.id,
      trigger: "admin",
      requestedBy: null,
      overrides: {
        phases: ["sft", "reward_model", "policy", "evaluate", "generate"],
        scratchModel: TINY,
        sft: { epochs: 1, maxTokens: 96 },
        rewardModel: { epochs: 1, batchSize: 8, maxTokens: 96 },
        policy: { iterations: 10_000, promptsPerIteration: 4, maxNewTokens: 8, miniBatch: 4, ppoEpochs: 1 }, // far longer than the test waits
      },
    });

    // a real trainer process, as npm start runs it
    const trainer = spawn(process.execPath, ["--import", "tsx", path.join(root, "trainer", "main.ts")], {
      cwd: root,
      env: { ...process.env, ARBITER_DATA_DIR: dataDir, ARBITER_AUTO_ROUND_INTERVAL_MS: "0", NEXTAUTH_SECRET: "kill-test-secret", TRAINER_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    trainer.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    trainer.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    try {
      // wait until PPO has run a few iterations
      for (let i = 0; i < 240; i++) {
        const view = await roundView(id);
        if (view!.history.filter((m) => m.phase === "policy" && m.name === "env/reward_mean").length >= 2) break;
        expect(view!.status, output).not.toBe("failed");
        await new Promise((r) => setTimeout(r, 500));
      }
      expect((await roundView(id))!.phase, output).toBe("policy");
    } finally {
      trainer.kill("SIGKILL");
      await new Promise((r) => trainer.once("exit", r));
    }

    // the trainer's heartbeat goes stale (30 s in production; moved back here), and the sweep any trainer runs ends the round
    const [round] = await getDb().select().from(rounds).where(eq(rounds.id, id));
    await getDb().update(trainerWorkers).set({ lastSeen: sql`now() - interval '1 hour'` }).where(eq(trainerWorkers.id, round!.workerId!));
    expect(await failOrphanedRounds(getDb())).toBeGreaterThanOrEqual(1);
    // the dead worker's row, as an operator would retire it (health tests after this one count workers)
    await getDb().update(trainerWorkers).set({ stoppedAt: sql`now()` }).where(eq(trainerWorkers.id, round!.workerId!));
    const ended = await roundView(id);
    expect(ended!.status).toBe("failed");
    expect(ended!.error).toMatch(/stopped before it finished/);

    // the phases that finished are registered; the one it was killed in left nothing
    const kinds = (await getDb().select({ kind: modelArtifacts.kind }).from(modelArtifacts).where(eq(modelArtifacts.roundId, id))).map((a) => a.kind).sort();
    expect(kinds).toEqual(["reward_model", "sft"]);
    const roundDir = path.join(dataDir, "checkpoints", project.id, "round-1");
    expect(fs.readdirSync(roundDir).sort()).toEqual(["reward-model", "sft"]);

    // and the next round runs
    const next = await startRound({
      projectId: project.id,
      trigger: "admin",
      requestedBy: null,
      overrides: { phases: ["reward_model", "policy"], scratchModel: TINY, rewardModel: { epochs: 1, batchSize: 8, maxTokens: 96 }, policy: { iterations: 2, promptsPerIteration: 4, maxNewTokens: 8, miniBatch: 4, ppoEpochs: 1 } },
    });
    await runRound(getDb(), { roundId: next.id }, { workerId: "test", backend: "wasm (simd)" });
    const view = await roundView(next.id);
    expect(view?.error).toBeUndefined();
    expect(view?.status).toBe("succeeded");
    const policies = await getDb().select().from(modelArtifacts).where(and(eq(modelArtifacts.projectId, project.id), eq(modelArtifacts.kind, "policy")));
    expect(policies).toHaveLength(1);
  }, 180_000);
});

describe("a trainer stopped with SIGTERM mid-round", () => {
  it("fails its round with the reason and marks itself stopped before the supervisor's 10 s grace runs out", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    const prefs = Array.from({ length: 40 }, (_, i) => ({ prompt: `Help with task ${i}?`, chosen: `Sure, task ${i} done.`, rejected: `No.` }));
    await importText(project, ndjson([...prefs, ...prefs.map((p) => ({ prompt: p.prompt, completion: p.chosen }))]));
    const { id } = await startRound({
      projectId: project.id,
      trigger: "admin",
      requestedBy: null,
      overrides: {
        phases: ["sft", "reward_model", "policy"],
        scratchModel: TINY,
        sft: { epochs: 200, maxTokens: 96 },
        rewardModel: { epochs: 1, batchSize: 8, maxTokens: 96 },
        policy: { iterations: 10_000, promptsPerIteration: 4, maxNewTokens: 8, miniBatch: 4, ppoEpochs: 1 }, // far longer than the test waits
      },
    });
    const trainer = spawn(process.execPath, ["--import", "tsx", path.join(root, "trainer", "main.ts")], {
      cwd: root,
      env: { ...process.env, ARBITER_DATA_DIR: dataDir, ARBITER_AUTO_ROUND_INTERVAL_MS: "0", NEXTAUTH_SECRET: "kill-test-secret", TRAINER_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    trainer.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    trainer.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => trainer.once("exit", (code) => r(code)));
    let stoppedIn = Infinity;
    try {
      for (let i = 0; i < 240 && (await roundView(id))!.status !== "running"; i++) await new Promise((r) => setTimeout(r, 250));
      expect((await roundView(id))!.status, output).toBe("running");
      await new Promise((r) => setTimeout(r, 1000)); // inside the phase's steps
      const sent = Date.now();
      trainer.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      stoppedIn = Date.now() - sent;
    } finally {
      trainer.kill("SIGKILL");
      await exited;
    }
    expect(stoppedIn, output).toBeLessThan(10_000);
    const [round] = await getDb().select().from(rounds).where(eq(rounds.id, id));
    expect(round!.status, output).toBe("failed");
    expect(round!.error).toBe("trainer stopped");
    const [worker] = await getDb().select().from(trainerWorkers).where(eq(trainerWorkers.id, round!.workerId!));
    expect(worker!.stoppedAt).not.toBeNull();
  }, 120_000);
});
