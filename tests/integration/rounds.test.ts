import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "@/lib/config/env";
import { getDb } from "@/lib/db/client";
import { modelArtifacts, rounds } from "@/lib/db/schema";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { setExcluded } from "@/lib/projects/projects";
import { stopSender } from "@/lib/rounds/boss";
import { artifactDir, getArtifact, getRewardModel, scoreWithRewardModel } from "@/lib/models/reward-models";
import { trainerRpcKey } from "@/lib/models/internal-auth";
import { tarFolder } from "@/lib/models/tar-stream";
import { roundEvents, type RoundEvent } from "@/lib/rounds/round-events";
import { roundView } from "@/lib/rounds/round-view";
import { areNearDuplicates } from "@/lib/comparisons/form-comparisons";
import { isHeldOutPrompt } from "@/lib/rounds/held-out";
import { startRound } from "@/lib/rounds/start-round";
import { nextTask } from "@/lib/tasks/next-task";
import { loadCheckpoint } from "@/trainer/checkpoint/hf-gpt2";
import { loadRewardJudgments } from "@/trainer/reward/load-judgments";
import { failOrphanedRounds } from "@/trainer/rounds/orphaned-rounds";
import { runRound } from "@/trainer/rounds/run-round";
import { startScoreServer } from "@/trainer/serve/score-server";
import { selectBackend } from "@/trainer/tf/backend";
import { registerWorker } from "@/trainer/worker-registry";
import { annotators, aProject, importText, ndjson } from "./fixtures";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-rounds-"));
process.env.NEXTAUTH_SECRET ??= "rounds-test-secret";
let trainedRewardModel: string | undefined;

beforeAll(async () => {
  process.env.ARBITER_DATA_DIR = dataDir;
  await selectBackend("wasm");
});
afterAll(async () => {
  await stopSender();
  delete process.env.ARBITER_DATA_DIR;
});

/** A model small enough for a whole round in seconds. */
const TINY = { nEmbd: 32, nLayer: 1, nHead: 2, nPositions: 128 };

/** Existing preferences: polite answers beat rude ones. */
function preferences(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `Can you help with task ${i}?`,
    chosen: `Of course, happy to help with task ${i}. Thanks!`,
    rejected: `No. Task ${i} is your problem.`,
  }));
}

describe("rounds: the reward-model phase", () => {
  it("queues a round with its job atomically, refuses a second, trains, saves and records the reward model", async () => {
    const project = await aProject({
      mode: "pairwise",
      roundSettings: { rewardModel: { epochs: 4, batchSize: 8, learningRate: 1e-3, validationFraction: 0.2, maxTokens: 96 } },
    });
    await importText(project, ndjson(preferences(40)));

    const started = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null, overrides: { rewardModel: { epochs: 3 } } });
    expect(started.number).toBe(1);
    const { rows: jobs } = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from pgboss.job where name = 'rounds.run' and data->>'roundId' = ${started.id}`);
    expect(jobs[0]!.n).toBe(1);
    await expect(startRound({ projectId: project.id, trigger: "admin", requestedBy: null })).rejects.toMatchObject({ code: "conflict" });
    const queued = await roundView(started.id);
    expect(queued).toMatchObject({ status: "queued", config: { rewardModel: { epochs: 3, batchSize: 8 } } });

    const lines: string[] = [];
    await runRound(getDb(), { roundId: started.id }, { workerId: "test", backend: "wasm (simd)", print: (l) => lines.push(l) });
    const done = await roundView(started.id);
    expect(done?.error).toBeUndefined();
    expect(done).toMatchObject({ status: "succeeded", phase: null });
    expect(done!.history.filter((m) => m.name === "train/loss").length).toBeGreaterThan(0);
    expect(done!.metrics["reward_model/val/accuracy"]).toBeGreaterThanOrEqual(0.75);
    expect(done!.artifacts).toHaveLength(1);

    const [artifact] = await getDb().select().from(modelArtifacts).where(eq(modelArtifacts.roundId, started.id));
    expect(artifact).toMatchObject({ kind: "reward_model", projectId: project.id });
    expect(artifact!.judgmentWatermark?.getTime()).toBe(new Date(queued!.judgmentWatermark).getTime());
    trainedRewardModel = artifact!.id;
    const dir = path.join(dataDir, "checkpoints", artifact!.path);
    const saved = loadCheckpoint(dir);
    expect(saved.params.has("score.weight")).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).architectures).toEqual(["GPT2ForSequenceClassification"]);
    const trainingConfig = JSON.parse(fs.readFileSync(path.join(dir, "training_config.json"), "utf8"));
    // every judgment but those on the held-out evaluation prompts
    const { rows: held } = await getDb().execute<{ id: string }>(sql`select id from prompts where project_id = ${project.id}`);
    expect(trainingConfig.counts.judgments).toBe(40 - held.filter((p) => isHeldOutPrompt(p.id)).length);
    expect(fs.existsSync(path.join(dir, "metrics.json"))).toBe(true);

    // The next round may start now that this one has finished.
    const second = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    expect(second.number).toBe(2);
    await getDb().update(rounds).set({ status: "cancelled" }).where(eq(rounds.id, second.id));
    await runRound(getDb(), { roundId: second.id }, { workerId: "test", backend: "wasm" });
    expect((await roundView(second.id))?.status).toBe("cancelled");
  }, 120_000);

  it("leaves out excluded annotators and judgments after the watermark; weights by reliability when asked", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 2 });
    await importText(project, ndjson(preferences(6)));
    await importText(project, ndjson(Array.from({ length: 6 }, (_, i) => ({ prompt: `Q${i}`, responses: [{ text: `good ${i}`, source: "a" }, { text: `bad ${i}`, source: "b" }] }))));
    const [alice, bob] = await annotators(project, 2);
    for (const me of [alice!, bob!]) {
      for (;;) {
        const task = await nextTask(project, me);
        if (!task) break;
        const ids = task.responses.map((r) => r.id);
        await submitJudgment(task.comparisonId, me, { clientId: randomUUID(), ranking: [[ids[0]!], [ids[1]!]] });
      }
    }
    const now = new Date();
    const all = await loadRewardJudgments(getDb(), { projectId: project.id, watermark: now, weighting: "none", qualityBar: {} });
    await setExcluded(project.id, bob!.id, true);
    const kept = await loadRewardJudgments(getDb(), { projectId: project.id, watermark: now, weighting: "none", qualityBar: {} });
    expect(kept.length).toBeLessThan(all.length);
    expect(kept.length).toBeGreaterThanOrEqual(6);
    const before = await loadRewardJudgments(getDb(), { projectId: project.id, watermark: new Date(0), weighting: "none", qualityBar: {} });
    expect(before).toHaveLength(0);
    const weighted = await loadRewardJudgments(getDb(), { projectId: project.id, watermark: now, weighting: "reliability", qualityBar: { minEvidence: 1 } });
    expect(weighted.every((r) => r.weight >= 0.05 && r.weight <= 1)).toBe(true);
    expect(kept[0]!.messages[0]).toMatchObject({ role: "user" });
    expect(kept[0]!.responses.length).toBe(2);
  });

  it("scores responses through a live trainer's scoring server, and says so when none runs", async () => {
    expect(trainedRewardModel).toBeDefined();
    const model = (await getRewardModel(trainedRewardModel!))!;
    const messages = [{ role: "user" as const, content: "Can you help with task 7?" }];
    const texts = ["Of course, happy to help with task 7. Thanks!", "No. Task 7 is your problem."];
    await expect(scoreWithRewardModel(model, messages, texts)).rejects.toMatchObject({ code: "unavailable" });

    const server = await startScoreServer({ key: trainerRpcKey(env())!, host: "127.0.0.1", port: 0, log: () => {} });
    const worker = await registerWorker(getDb(), { backend: "wasm (simd)", version: "test", heartbeatMs: 60_000, url: server.url });
    try {
      const [polite, rude] = await scoreWithRewardModel(model, messages, texts);
      expect(polite).toBeGreaterThan(rude!);
      const stranger = await fetch(`${server.url}/score`, { method: "POST", body: "{}" });
      expect(stranger.status).toBe(403);
    } finally {
      await worker.stop();
      await server.close();
    }
  }, 60_000);

  it("downloads a model as a tar archive that tar unpacks to the same files", async () => {
    const model = (await getArtifact(trainedRewardModel!))!;
    const dir = artifactDir(model);
    const archive = Buffer.from(await new Response(tarFolder(dir, "reward-model")).arrayBuffer());
    expect(archive.length % 512).toBe(0);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-untar-"));
    fs.writeFileSync(path.join(out, "m.tar"), archive);
    execFileSync("tar", ["-xf", "m.tar"], { cwd: out });
    const names = fs.readdirSync(path.join(out, "reward-model")).sort();
    expect(names).toEqual(expect.arrayContaining(["config.json", "model.safetensors", "metrics.json", "training_config.json", "vocab.json", "merges.txt", "tokenizer_config.json"]));
    for (const name of names) expect(fs.readFileSync(path.join(out, "reward-model", name)).equals(fs.readFileSync(path.join(dir, name))), name).toBe(true);
  });

  it("fails a running round whose trainer stopped, so the project can start another", async () => {
    const project = await aProject({ mode: "pairwise" });
    await importText(project, ndjson(preferences(2)));
    const { id } = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    const live = await registerWorker(getDb(), { backend: "wasm", version: "test", heartbeatMs: 60_000 });
    await getDb().update(rounds).set({ status: "running", workerId: live.id }).where(eq(rounds.id, id));
    await failOrphanedRounds(getDb());
    expect((await roundView(id))?.status).toBe("running"); // its trainer is alive
    await live.stop();
    expect(await failOrphanedRounds(getDb())).toBeGreaterThanOrEqual(1);
    const failed = await roundView(id);
    expect(failed).toMatchObject({ status: "failed", error: expect.stringContaining("stopped before it finished") });
    expect((await startRound({ projectId: project.id, trigger: "admin", requestedBy: null })).number).toBe(2);
  });

  it("streams a round's status and metrics as the trainer reports them, and ends when it finishes", async () => {
    const project = await aProject({ mode: "pairwise", roundSettings: { rewardModel: { epochs: 2, batchSize: 8, maxTokens: 64 } } });
    await importText(project, ndjson(preferences(12)));
    const { id } = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null });
    const seen: RoundEvent[] = [];
    const listening = (async () => {
      for await (const e of roundEvents(id, new AbortController().signal)) seen.push(e);
    })();
    await new Promise((r) => setTimeout(r, 300));
    await runRound(getDb(), { roundId: id }, { workerId: "test", backend: "wasm (simd)" });
    await listening; // ends by itself once the round has finished
    const statuses = seen.filter((e) => e.type === "status").map((e) => (e as { status: string }).status);
    expect(statuses[0]).toBe("queued");
    expect(statuses.at(-1)).toBe("succeeded");
    const metrics = seen.flatMap((e) => (e.type === "metrics" ? e.metrics : []));
    expect(metrics.filter((m) => m.name === "train/loss").map((m) => m.step)).toEqual([1, 2]);
    expect(new Set(metrics.map((m) => m.id)).size).toBe(metrics.length); // each metric once
  }, 120_000);

  it("refuses PPO from a randomly initialised model with a clear error", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(project, ndjson(preferences(10)));
    const { id } = await startRound({
      projectId: project.id,
      trigger: "admin",
      requestedBy: null,
      overrides: { phases: ["reward_model", "policy"], scratchModel: TINY, rewardModel: { epochs: 1, batchSize: 8, maxTokens: 64 }, policy: { iterations: 1, maxNewTokens: 8 } },
    });
    await runRound(getDb(), { roundId: id }, { workerId: "test", backend: "wasm (simd)" });
    const view = await roundView(id);
    expect(view?.status).toBe("failed");
    expect(view?.error).toMatch(/randomly initialised/);
    expect(view!.artifacts.map((a) => a.kind)).toEqual(["reward_model"]); // nothing from the refused phase
  }, 120_000);

  it("runs the loop: SFT → reward model (from SFT) → PPO (from SFT) → evaluate on held-out prompts → the policy's answers up for judging; round 2 continues round 1's policy", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    // sources named before "policy@…" alphabetically, so only a deliberate order pairs a policy with its predecessor
    const prefs = preferences(60).map((p) => ({ ...p, chosen_source: "alpha", rejected_source: "beta" }));
    await importText(project, ndjson([...prefs, ...prefs.map((p) => ({ prompt: p.prompt, completion: p.chosen }))]));
    const settings = {
      phases: ["sft", "reward_model", "policy", "evaluate", "generate"],
      scratchModel: TINY,
      sft: { epochs: 2, batchSize: 16, maxTokens: 96 },
      rewardModel: { epochs: 1, batchSize: 8, maxTokens: 96 },
      policy: { iterations: 2, promptsPerIteration: 4, maxNewTokens: 8, miniBatch: 4, ppoEpochs: 1 },
      evaluate: { prompts: 4, samplesPerPrompt: 2, maxNewTokens: 8 },
      generate: { prompts: 6, maxNewTokens: 12, temperature: 1, topP: 1 },
    };
    const { id, number } = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null, overrides: settings });
    const lines: string[] = [];
    await runRound(getDb(), { roundId: id }, { workerId: "test", backend: "wasm (simd)", print: (l) => lines.push(l) });
    const view = await roundView(id);
    expect(view?.error, lines.join("\n")).toBeUndefined();
    expect(view?.status).toBe("succeeded");
    expect(view!.artifacts.map((a) => a.kind).sort()).toEqual(["lora_adapter", "policy", "reward_model", "sft"]);
    const names = (phase: string) => new Set(view!.history.filter((m) => m.phase === phase).map((m) => m.name));
    expect([...names("sft")]).toEqual(expect.arrayContaining(["train/loss", "val/loss", "val/perplexity"]));
    expect(view!.history.filter((m) => m.phase === "policy" && m.name === "env/reward_mean").map((m) => m.step)).toEqual([1, 2]);
    expect([...names("evaluate")]).toEqual(expect.arrayContaining(["eval/policy/score_mean", "eval/sft/score_mean", "eval/win_rate_vs_sft", "eval/policy/kl"]));

    const artifacts = await getDb().select().from(modelArtifacts).where(eq(modelArtifacts.roundId, id));
    const sft = artifacts.find((a) => a.kind === "sft")!;
    const rm = artifacts.find((a) => a.kind === "reward_model")!;
    const policy = artifacts.find((a) => a.kind === "policy")!;
    expect(rm.config.baseModel).toMatch(/^sft /); // the reward model started from the SFT model
    expect((rm.config.rewardNormalization as { over: string }).over).toBe("reference samples");
    expect(policy.config.reference).toBe(sft.id); // KL reference: the SFT model
    expect(policy.config.start).toMatch(/^sft /);
    const dir = path.join(dataDir, "checkpoints", policy.path);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).architectures).toEqual(["GPT2LMHeadModel"]);
    expect(loadCheckpoint(dir).params.has("transformer.h.0.attn.c_attn.weight")).toBe(true);
    expect(fs.existsSync(path.join(dataDir, "checkpoints", project.id, `round-${number}`, "lora-adapter", "adapter_config.json"))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, "checkpoints", project.id, `round-${number}`, "evaluation.jsonl"), "utf8").trim().split("\n").length).toBeGreaterThan(0);
    // nothing half-written left behind
    expect(fs.readdirSync(path.join(dataDir, "checkpoints", project.id, `round-${number}`)).filter((f) => f.includes(".partial-"))).toEqual([]);

    const { rows } = await getDb().execute<{ responses: number; comparisons: number }>(sql`
      select (select count(*)::int from responses r join prompts p on p.id = r.prompt_id where p.project_id = ${project.id} and r.source = ${`policy@round-${number}`} and r.round_id = ${id}) as responses,
             (select count(*)::int from comparisons c where c.project_id = ${project.id} and c.round_id = ${id}) as comparisons`);
    expect(rows[0]!.responses).toBeGreaterThan(0);
    const [annotator] = await annotators(project, 1);
    expect(await nextTask(project, annotator!)).not.toBeNull();

    // round 2, with the same phases (as a round started by the threshold runs them): the SFT
    // model is kept (same demonstrations), and PPO continues round 1's policy against it
    // (another sampling seed: with round 1's, a policy this little changed answers as round 1 did,
    // and identical answers are never compared)
    const second = await startRound({ projectId: project.id, trigger: "admin", requestedBy: null, overrides: { ...settings, generate: { ...settings.generate, seed: 1 } } });
    await runRound(getDb(), { roundId: second.id }, { workerId: "test", backend: "wasm (simd)", print: (l) => lines.push(l) });
    const view2 = await roundView(second.id);
    expect(view2?.error, lines.join("\n")).toBeUndefined();
    const artifacts2 = await getDb().select().from(modelArtifacts).where(eq(modelArtifacts.roundId, second.id));
    expect(artifacts2.map((a) => a.kind).sort()).toEqual(["lora_adapter", "policy", "reward_model"]);
    const policy2 = artifacts2.find((a) => a.kind === "policy")!;
    expect(policy2.config.start).toBe(`policy ${policy.path}`);
    expect(policy2.config.reference).toBe(sft.id);
    expect(new Set(view2!.history.filter((m) => m.phase === "evaluate").map((m) => m.name))).toContain("eval/win_rate_vs_previous");
    // round 2's answers are judged against round 1's where round 1 answered the same prompt
    // (unless the two are near-duplicates, which are never compared)
    const { rows: answers } = await getDb().execute<{ prompt_id: string; text: string; previous: string | null; compared: boolean }>(sql`
      select n.prompt_id, n.text, p.text as previous,
             exists (select 1 from comparison_responses a join comparison_responses b on b.comparison_id = a.comparison_id
                     where a.response_id = n.id and b.response_id = p.id) as compared
      from responses n left join responses p on p.prompt_id = n.prompt_id and p.source = ${`policy@round-${number}`}
      where n.round_id = ${second.id}`);
    const comparable = answers.filter((a) => a.previous !== null && !areNearDuplicates(a.previous, a.text));
    expect(comparable.length).toBeGreaterThan(0);
    expect(comparable.every((a) => a.compared)).toBe(true);
  }, 300_000);
});
