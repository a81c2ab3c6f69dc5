// POST /api/v1/models/:id/generate: samples from a saved policy, served by a trainer's HTTP
// server started in this process, the way the web app reaches a running trainer.
import { randomUUID } from "node:crypto";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { modelArtifacts, type Project } from "@/lib/db/schema";
import { env } from "@/lib/config/env";
import { signRequest, trainerRpcKey } from "@/lib/models/internal-auth";
import { listGenerativeModels } from "@/lib/models/policies";
import { saveCheckpoint } from "@/trainer/checkpoint/hf-gpt2";
import { smallConfig } from "@/trainer/model/config";
import { initParams } from "@/trainer/model/gpt2";
import { startScoreServer } from "@/trainer/serve/score-server";
import { selectBackend } from "@/trainer/tf/backend";
import { registerWorker } from "@/trainer/worker-registry";
import { anAdmin, annotators, aProject } from "./fixtures";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-playground-"));
process.env.NEXTAUTH_SECRET ??= "playground-test-secret";

let project: Project;
let policyId: string;
let rewardModelId: string;
let adminToken: string;
let annotatorToken: string;

beforeAll(async () => {
  process.env.ARBITER_DATA_DIR = dataDir;
  await selectBackend("wasm");
  project = await aProject({ mode: "pairwise" });
  // a tiny byte-level policy (256 positions), saved as the policy phase saves one
  const config = smallConfig({ n_layer: 1, n_embd: 32, n_head: 2 });
  const rel = path.join(project.id, "round-1", "policy");
  await saveCheckpoint(path.join(dataDir, "checkpoints", rel), { config, params: initParams(config, 7) }, { metadata: { arbiter_kind: "policy" } });
  const [policy] = await getDb().insert(modelArtifacts).values({ projectId: project.id, kind: "policy", path: rel }).returning();
  const [rm] = await getDb().insert(modelArtifacts).values({ projectId: project.id, kind: "reward_model", path: rel }).returning();
  policyId = policy!.id;
  rewardModelId = rm!.id;
  adminToken = (await createApiToken((await anAdmin()).id, "test")).token;
  const [annotator] = await annotators(project, 1);
  annotatorToken = (await createApiToken(annotator!.id, "test")).token;
});

afterAll(() => {
  delete process.env.ARBITER_DATA_DIR;
});

async function generate(modelId: string, body: unknown, token = adminToken): Promise<Response> {
  const { POST } = await import("@/app/api/v1/models/[id]/generate/route");
  const req = new NextRequest(`http://localhost/api/v1/models/${modelId}/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return POST(req, { params: Promise.resolve({ id: modelId }) });
}

type Answer = { modelId: string; seed: number; samples: { text: string; tokens: number; finished: boolean }[] };

describe("POST /api/v1/models/:id/generate", () => {
  it("is for admins, and only for policies and SFT models that exist", async () => {
    expect((await generate(policyId, { prompt: "hi" }, annotatorToken)).status).toBe(403);
    expect((await generate(randomUUID(), { prompt: "hi" })).status).toBe(404);
    expect((await generate("not-a-uuid", { prompt: "hi" })).status).toBe(404);
    expect((await generate(rewardModelId, { prompt: "hi" })).status).toBe(404);
    expect((await listGenerativeModels(project.id)).map((m) => m.id)).toEqual([policyId]);
  });

  it.each([
    ["no prompt", {}],
    ["too many samples", { prompt: "hi", n: 9 }],
    ["no tokens", { prompt: "hi", maxNewTokens: 0 }],
    ["too many tokens", { prompt: "hi", maxNewTokens: 513 }],
    ["temperature above 2", { prompt: "hi", temperature: 2.5 }],
    ["topP of 0", { prompt: "hi", topP: 0 }],
    ["a fractional seed", { prompt: "hi", seed: 1.5 }],
    ["an unknown field", { prompt: "hi", topK: 5 }],
    ["an unknown role", { prompt: [{ role: "robot", content: "hi" }] }],
    ["not JSON", "{"],
  ])("400s %s", async (_, body) => {
    const res = await generate(policyId, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_input");
  });

  it("answers 503 while no trainer runs, then n samples from a live trainer", async () => {
    const offline = await generate(policyId, { prompt: "hi" });
    expect(offline.status).toBe(503);
    expect(((await offline.json()) as { error: { code: string } }).error.code).toBe("unavailable");

    const server = await startScoreServer({ key: trainerRpcKey(env())!, host: "127.0.0.1", port: 0, log: () => {} });
    const worker = await registerWorker(getDb(), { backend: "wasm (simd)", version: "test", heartbeatMs: 60_000, url: server.url });
    try {
      const body = { prompt: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say something." }], n: 3, maxNewTokens: 12, temperature: 1, topP: 0.95, seed: 42 };
      const res = await generate(policyId, body);
      expect(res.status, await res.clone().text()).toBe(200);
      const answer = (await res.json()) as Answer;
      expect(answer).toMatchObject({ modelId: policyId, seed: 42 });
      expect(answer.samples).toHaveLength(3);
      for (const s of answer.samples) {
        expect(typeof s.text).toBe("string");
        expect(s.tokens).toBeGreaterThanOrEqual(0);
        expect(s.tokens).toBeLessThanOrEqual(12);
        expect(s.finished).toBe(s.tokens < 12);
      }
      // an untrained model's rows differ from one another; the same seed draws the same rows
      expect(new Set(answer.samples.map((s) => s.text)).size).toBeGreaterThan(1);
      expect(((await (await generate(policyId, body)).json()) as Answer).samples).toEqual(answer.samples);
      // unseeded: a seed is chosen and reported
      const unseeded = (await (await generate(policyId, { prompt: "hi" })).json()) as Answer;
      expect(Number.isInteger(unseeded.seed)).toBe(true);
      expect(unseeded.samples).toHaveLength(1);

      // a prompt longer than the context is cut from the left, leaving room for the answer
      const long = await generate(policyId, { prompt: "x".repeat(2_000), maxNewTokens: 200, temperature: 0 });
      expect(long.status, await long.clone().text()).toBe(200);
      expect(((await long.json()) as Answer).samples[0]!.tokens).toBeLessThanOrEqual(200);
      // but the answer alone may not fill the whole context (256 positions)
      const tooLong = await generate(policyId, { prompt: "hi", maxNewTokens: 256 });
      expect(tooLong.status).toBe(400);
      expect(JSON.stringify(await tooLong.json())).toContain("context");

      // one generation at a time on the trainer: while a request holds the slot (here one
      // whose body is still arriving), the next is told to come back (503, Retry-After)
      const holder = http.request(`${server.url}/generate`, { method: "POST", headers: signRequest(trainerRpcKey(env())!, { trainerUrl: server.url, method: "POST", path: "/generate", body: "{}" }) });
      holder.on("error", () => {});
      holder.write("{");
      await new Promise((r) => setTimeout(r, 200));
      const busy = await generate(policyId, { prompt: "hi" });
      expect(busy.status).toBe(503);
      holder.destroy();
      await new Promise((r) => setTimeout(r, 200));
      expect((await generate(policyId, { prompt: "hi" })).status).toBe(200); // and the slot is free again

      const stranger = await fetch(`${server.url}/generate`, { method: "POST", body: "{}" });
      expect(stranger.status).toBe(403);
    } finally {
      await worker.stop();
      await server.close();
    }
  }, 120_000);
});
