// Scoring and generation with two trainers on machines that do not share a checkpoint
// folder (lib/models/trainer-client.ts): two real trainer processes (trainer/main.ts), each
// with a data folder of its own; the model's files are in one of them only. The fresher
// trainer, which would have been asked alone before, answers `model_not_here` and the web
// side asks the other; once that one reports the model loaded it is asked first; a
// registered trainer that cannot be reached is passed over; a model no trainer has is a
// 503 that says so.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { env } from "@/lib/config/env";
import { getDb } from "@/lib/db/client";
import { freePort } from "@/lib/db/embedded";
import { modelArtifacts, trainerWorkers } from "@/lib/db/schema";
import { trainerRpcKey } from "@/lib/models/internal-auth";
import { sampleFromModel } from "@/lib/models/policies";
import { liveTrainersFor } from "@/lib/models/trainer-client";
import { saveCheckpoint } from "@/trainer/checkpoint/hf-gpt2";
import { smallConfig } from "@/trainer/model/config";
import { initParams } from "@/trainer/model/gpt2";
import { selectBackend } from "@/trainer/tf/backend";
import { aProject } from "./fixtures";

process.env.TRAINER_RPC_KEY ??= "trainer-choice-test-key-of-at-least-32-characters";
const root = path.resolve(import.meta.dirname, "..", "..");
const folders = { fresh: fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-choice-a-")), holder: fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-choice-b-")) };
const children: ChildProcess[] = [];
const outputs: string[] = [];

function startTrainer(dataDir: string, heartbeatMs: number): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "trainer", "main.ts")], {
    cwd: root,
    env: {
      ...process.env,
      ARBITER_DATA_DIR: dataDir,
      ARBITER_AUTO_ROUND_INTERVAL_MS: "0",
      ARBITER_TF_BACKEND: "wasm",
      TRAINER_RPC_KEY: trainerRpcKey(env())!,
      NEXTAUTH_SECRET: "",
      TRAINER_HEARTBEAT_MS: String(heartbeatMs),
      TRAINER_HOST: "127.0.0.1",
      TRAINER_PORT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const i = outputs.push("") - 1;
  child.stdout!.on("data", (d: Buffer) => (outputs[i] += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (outputs[i] += d.toString()));
  return { child, output: () => outputs[i]! };
}

async function workerOf(pid: number, output: () => string): Promise<{ id: string; url: string }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = await getDb().select().from(trainerWorkers).where(eq(trainerWorkers.pid, pid));
    if (row?.url && /ready, waiting for round jobs/.test(output())) return { id: row.id, url: row.url };
    if (Date.now() > deadline) throw new Error(`trainer ${pid} did not register:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let fresh: { id: string; url: string };
let holder: { id: string; url: string };
let modelPath: string;
let projectId: string;

beforeAll(async () => {
  await selectBackend("wasm"); // to make the checkpoint's weights
  const project = await aProject({ mode: "pairwise" });
  projectId = project.id;
  // a tiny policy, in the holder's checkpoint folder only
  const config = smallConfig({ n_layer: 1, n_embd: 32, n_head: 2 });
  modelPath = path.join(project.id, "round-1", "policy");
  await saveCheckpoint(path.join(folders.holder, "checkpoints", modelPath), { config, params: initParams(config, 7) }, { metadata: { arbiter_kind: "policy" } });

  // the holder beats once a minute, the other every 100 ms: the other is always the freshest
  const a = startTrainer(folders.holder, 60_000);
  holder = await workerOf(a.child.pid!, a.output);
  const b = startTrainer(folders.fresh, 100);
  fresh = await workerOf(b.child.pid!, b.output);
}, 120_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          const kill = setTimeout(() => c.kill("SIGKILL"), 10_000);
          c.once("exit", () => (clearTimeout(kill), resolve()));
          c.kill("SIGTERM");
        }),
    ),
  );
  for (const dir of Object.values(folders)) fs.rmSync(dir, { recursive: true, force: true });
});

const messages = [{ role: "user" as const, content: "Say something." }];
const sampling = { n: 1, maxNewTokens: 4, temperature: 1, topP: 1, seed: 3 };

async function policy(relPath: string) {
  const [row] = await getDb().insert(modelArtifacts).values({ projectId, kind: "policy", path: relPath }).returning();
  return row!;
}

describe("choosing a trainer for a model", () => {
  it("asks the next trainer when the freshest does not have the model's files, then the one that has it loaded first", async () => {
    const model = await policy(modelPath);
    const before = (await liveTrainersFor(modelPath)).map((t) => t.id);
    expect(before.indexOf(fresh.id)).toBeGreaterThanOrEqual(0);
    expect(before.indexOf(fresh.id)).toBeLessThan(before.indexOf(holder.id)); // nobody has it loaded yet: freshest first

    const samples = await sampleFromModel(model, messages, sampling);
    expect(samples).toHaveLength(1);

    // the holder reported the model at once (not at its next beat, a minute away)
    const deadline = Date.now() + 5_000;
    while (!(await liveTrainersFor(modelPath))[0]?.hasModel && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const order = await liveTrainersFor(modelPath);
    expect(order[0]).toEqual({ id: holder.id, url: holder.url, hasModel: true });
    expect(order.find((t) => t.id === fresh.id)?.hasModel).toBe(false);
    const [row] = await getDb().select({ loaded: trainerWorkers.loadedModels }).from(trainerWorkers).where(eq(trainerWorkers.id, holder.id));
    expect(row!.loaded).toEqual([modelPath]);

    expect(await sampleFromModel(model, messages, sampling)).toEqual(samples); // same seed, same model
  });

  it("passes over a registered trainer that cannot be reached", async () => {
    const model = await policy(modelPath);
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const deadId = `dead-trainer-${Date.now()}`;
    // freshest, and claiming the model: asked first
    await getDb().insert(trainerWorkers).values({ id: deadId, hostname: "gone", pid: 1, backend: "cpu", version: "test", url: deadUrl, loadedModels: [modelPath] });
    try {
      expect((await liveTrainersFor(modelPath))[0]!.id).toBe(deadId);
      expect(await sampleFromModel(model, messages, sampling)).toHaveLength(1);
    } finally {
      await getDb().update(trainerWorkers).set({ stoppedAt: sql`now()` }).where(eq(trainerWorkers.id, deadId));
    }
  });

  it("answers 503 naming the checkpoint folder when no live trainer has the model", async () => {
    const model = await policy(path.join(projectId, "round-9", "policy"));
    const err = await sampleFromModel(model, messages, sampling).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: "unavailable" });
    expect((err as Error).message).toMatch(/No live trainer has this model's files.*checkpoint folder/);
  });
});
