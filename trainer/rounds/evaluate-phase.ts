// Phase "evaluate" of a round: the new policy, the previous one and the SFT model answer the
// same held-out prompts (lib/rounds/held-out.ts: never trained on by any phase), with the same
// seeds, and are compared by the newest reward model: mean normalised score with a 95%
// interval, the new policy's win rate against each (paired by prompt and sample, ties half),
// KL to the reference on each model's own samples (Σ_t log π − log π_ref, the estimator PPO
// logs), response length and the share that ended with end-of-text. Metrics go to
// round_metrics (phase "evaluate"); every sample, with its score, to evaluation.jsonl in the
// round's folder (GET /api/v1/rounds/:id/evaluation).
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { and, desc, eq, ne } from "drizzle-orm";
import { modelArtifacts } from "@/lib/db/schema";
import { meanInterval } from "@/lib/stats/moments";
import { checkpointPath, checkpointsDir } from "@/lib/models/paths";
import { type Checkpoint, disposeParams, loadCheckpoint } from "../checkpoint/hf-gpt2";
import { sample, type Sampled } from "../generate";
import { forward, tokenLogProbs } from "../model/gpt2";
import { episodeScores } from "../ppo/ppo-trainer";
import type { RewardNormalization } from "../reward/normalization";
import { rewardsOf } from "../reward/score";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { latestArtifact, registeredSha256, roundProject } from "./artifacts";
import type { PhaseContext } from "./reward-model-phase";
import { loadReference, NO_REFERENCE } from "./round-models";
import { roundPrompts } from "./round-prompts";

/** Σ_t log π(response_t) at temperature T per sequence, under a model, in batches. */
export async function responseLogprobs(ckpt: Checkpoint, prompts: number[][], responses: number[][], temperature: number, batch = 16): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < prompts.length; i += batch) {
    const seqs = prompts.slice(i, i + batch).map((p, k) => [...p, ...responses[i + k]!]);
    const T = Math.max(...seqs.map((s) => s.length));
    const lp = tf.tidy(() => {
      const ids = tf.tensor2d(seqs.map((s) => [...s, ...new Array<number>(T - s.length).fill(ckpt.config.eos_token_id)]), undefined, "int32");
      const { hidden } = forward(ckpt.config, ckpt.params, { ids });
      return tokenLogProbs(ckpt.params, hidden, ids, temperature); // [B, T-1]
    });
    const data = (await lp.data()) as Float32Array;
    lp.dispose();
    seqs.forEach((s, b) => {
      const promptLength = prompts[i + b]!.length;
      let sum = 0;
      for (let j = promptLength - 1; j < s.length - 1; j++) sum += data[b * (T - 1) + j]!;
      out.push(sum);
    });
  }
  return out;
}

export async function evaluatePhase({ db, round, settings, log, checkCancelled }: PhaseContext): Promise<void> {
  const es = settings.evaluate;
  const project = await roundProject(db, round);
  const rmArtifact = await latestArtifact(db, project.id, "reward_model");
  if (!rmArtifact) throw new Error("no reward model to evaluate with: run the reward_model phase first");
  const policyArtifact = await latestArtifact(db, project.id, "policy");
  if (!policyArtifact) throw new Error("no policy to evaluate: run the policy phase first");
  const [previousArtifact] = await db
    .select()
    .from(modelArtifacts)
    .where(and(eq(modelArtifacts.projectId, project.id), eq(modelArtifacts.kind, "policy"), ne(modelArtifacts.id, policyArtifact.id)))
    .orderBy(desc(modelArtifacts.createdAt))
    .limit(1);
  const reference = await loadReference(db, project.id, settings);
  if (!reference) throw new Error(NO_REFERENCE);
  const loaded: Checkpoint[] = [reference];
  try {
    const rm = loadCheckpoint(checkpointPath(rmArtifact.path));
    loaded.push(rm);
    const norm = rmArtifact.config.rewardNormalization as RewardNormalization | undefined;
    const tok = tokenizerFor(reference.config);
    const held = (await roundPrompts(db, project.id, tok, reference.config.n_positions - es.maxNewTokens, "held-out")).slice(0, es.prompts);
    if (held.length === 0) {
      // a tenth of the prompts are held out: a project of a few prompts may have none
      log.line("evaluate: the project has no held-out prompts yet (a tenth of its prompts are held out); nothing to evaluate");
      return;
    }
    const models: { label: string; name: string; ckpt: Checkpoint }[] = [{ label: "policy", name: policyArtifact.path, ckpt: loadCheckpoint(checkpointPath(policyArtifact.path), { sha256: registeredSha256(policyArtifact) }) }];
    loaded.push(models[0]!.ckpt);
    if (previousArtifact) {
      const ckpt = loadCheckpoint(checkpointPath(previousArtifact.path), { sha256: registeredSha256(previousArtifact) });
      loaded.push(ckpt);
      models.push({ label: "previous", name: previousArtifact.path, ckpt });
    }
    models.push({ label: "sft", name: reference.name, ckpt: reference });
    const promptIds = held.flatMap((p) => Array.from({ length: es.samplesPerPrompt }, () => p));
    log.line(`evaluate: ${models.map((m) => `${m.label} (${m.name})`).join(", ")} on ${held.length} held-out prompts × ${es.samplesPerPrompt}`);

    const results = new Map<string, { sampled: Sampled; scores: number[]; kl: number[] | null }>();
    let done = 0;
    for (const m of models) {
      await checkCancelled();
      const sampled = await sample(m.ckpt.config, m.ckpt.params, promptIds.map((p) => p.ids), { maxNewTokens: es.maxNewTokens, temperature: es.temperature, eos: tok.eos, seed: es.seed + 7 });
      const finished = sampled.prompts.map((_, i) => i).filter((i) => sampled.finished[i]);
      const raw = await rewardsOf(rm.config, rm.params, finished.map((i) => [...sampled.prompts[i]!, ...sampled.tokens[i]!]));
      // scored as PPO scores its rollouts
      const scores = episodeScores(sampled.finished, raw, { shift: norm?.shift ?? 0, scale: norm?.scale ?? 1, missingEosPenalty: settings.policy.missingEosPenalty });
      // KL to the reference on this model's own samples (the sampler's log-probs are the
      // model's); greedy samples are not draws from the model, so no KL is reported for them
      let kl: number[] | null = null;
      if (es.temperature > 0) {
        const refLp = m.ckpt === reference ? null : await responseLogprobs(reference, sampled.prompts, sampled.tokens, es.temperature);
        const ownLp = sampled.logprobs.map((l) => l.reduce((a, x) => a + x, 0));
        kl = refLp ? ownLp.map((x, i) => x - refLp[i]!) : ownLp.map(() => 0);
      }
      results.set(m.label, { sampled, scores, kl });
      done++;
      await log.metrics("evaluate", done, { "progress/done": done, "progress/total": models.length });
    }

    const metrics: Record<string, number> = {};
    for (const [label, r] of results) {
      const s = meanInterval(r.scores);
      Object.assign(metrics, {
        [`eval/${label}/score_mean`]: s.mean,
        [`eval/${label}/score_ci_low`]: s.low,
        [`eval/${label}/score_ci_high`]: s.high,
        ...(r.kl ? { [`eval/${label}/kl`]: meanInterval(r.kl).mean } : {}),
        [`eval/${label}/length`]: meanInterval(r.sampled.tokens.map((t) => t.length)).mean,
        [`eval/${label}/finished`]: meanInterval(r.sampled.finished.map((f) => (f ? 1 : 0))).mean,
      });
    }
    const mine = results.get("policy")!.scores;
    for (const other of ["previous", "sft"]) {
      const theirs = results.get(other)?.scores;
      if (theirs) metrics[`eval/win_rate_vs_${other}`] = mine.reduce((a, x, i) => a + (x > theirs[i]! ? 1 : x === theirs[i]! ? 0.5 : 0), 0) / mine.length;
    }
    await log.metrics("evaluate", models.length + 1, metrics);

    const dir = path.join(checkpointsDir(), project.id, `round-${round.number}`);
    fs.mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    for (const m of models) {
      const r = results.get(m.label)!;
      r.sampled.tokens.forEach((t, i) => {
        const p = promptIds[i]!;
        lines.push(JSON.stringify({ promptId: p.id, model: m.label, modelPath: m.name, sample: i % es.samplesPerPrompt, text: tok.decode(t), finished: r.sampled.finished[i], score: r.scores[i], kl: r.kl?.[i] ?? null }));
      });
    }
    fs.writeFileSync(path.join(dir, "evaluation.jsonl.tmp"), lines.join("\n") + "\n");
    fs.renameSync(path.join(dir, "evaluation.jsonl.tmp"), path.join(dir, "evaluation.jsonl"));
    log.line(
      `evaluate: ${[...results.keys()].map((l) => `${l} ${metrics[`eval/${l}/score_mean`]!.toFixed(3)} [${metrics[`eval/${l}/score_ci_low`]!.toFixed(3)}, ${metrics[`eval/${l}/score_ci_high`]!.toFixed(3)}] kl ${metrics[`eval/${l}/kl`]?.toFixed(3) ?? "-"}`).join("; ")}`,
    );
  } finally {
    for (const c of loaded) disposeParams(c.params);
  }
}
