// Phase "policy" of a round: PPO on the project's training prompts against the newest reward
// model (Ouyang et al. 2022, §3.5). The reference is the SFT model (or a named base model;
// never a randomly initialised one); the policy starts from the previous round's policy
// trained against the same reference (init "previous", iterated RLHF as in Touvron et al.
// 2023 §3.2) or from the reference (init "sft"), plus a fresh LoRA adapter. Saves the adapter
// (PEFT layout) and the merged policy (GPT2LMHeadModel) as artifacts, with metrics per
// iteration in round_metrics (phase "policy").
import fs from "node:fs";
import path from "node:path";
import { checkpointPath, checkpointsDir } from "@/lib/models/paths";
import { mulberry32 } from "@/lib/bt/bootstrap";
import { disposeParams, loadCheckpoint, saveCheckpoint } from "../checkpoint/hf-gpt2";
import { saveLoraAdapter } from "../checkpoint/peft-lora";
import { LoraAdapter } from "../model/lora";
import { DEFAULT_PPO, PpoTrainer } from "../ppo/ppo-trainer";
import { type RewardNormalization, rewardNormalization } from "../reward/normalization";
import { rewardsOf } from "../reward/score";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { latestArtifact, recordArtifact, roundProject, writeArtifactDir } from "./artifacts";
import type { PhaseContext } from "./reward-model-phase";
import { loadPreviousPolicy, loadReference, NO_REFERENCE, referenceKey } from "./round-models";
import { roundPrompts } from "./round-prompts";

export async function policyPhase({ db, round, settings, log, checkCancelled }: PhaseContext): Promise<void> {
  const ps = settings.policy;
  const project = await roundProject(db, round);
  const rewardArtifact = await latestArtifact(db, project.id, "reward_model");
  if (!rewardArtifact) throw new Error("no reward model to optimise against: run the reward_model phase first");
  const reference = await loadReference(db, project.id, settings);
  if (!reference) throw new Error(NO_REFERENCE);
  const previous = ps.init === "previous" ? await loadPreviousPolicy(db, project.id, reference) : null;
  const start = previous ?? reference;
  const rm = loadCheckpoint(checkpointPath(rewardArtifact.path));
  const lora = new LoraAdapter(ps.lora, reference.config, ps.seed + round.number);
  let trainer: PpoTrainer | null = null;
  try {
    const tok = tokenizerFor(reference.config);
    if (tokenizerFor(rm.config).name !== tok.name) throw new Error(`the reward model reads ${tokenizerFor(rm.config).name} tokens, the policy ${tok.name}`);
    const room = reference.config.n_positions - ps.maxNewTokens;
    if (room < 8) throw new Error(`maxNewTokens ${ps.maxNewTokens} leaves too little context in n_positions ${reference.config.n_positions}`);
    const prompts = await roundPrompts(db, project.id, tok, room, "train");
    if (prompts.length === 0) throw new Error("the project has no prompts to train the policy on (outside the held-out slice)");
    // statistics of this reference's samples: a reward model normalised against another
    // reference (an SFT model trained since, in a round that then failed) is normalised again
    let norm = rewardArtifact.config.rewardNormalization as RewardNormalization | undefined;
    if (norm && norm.reference !== referenceKey(reference)) {
      log.line(`policy: the reward model was normalised over ${norm.reference ?? "its judged responses"}, not this reference; normalising again`);
      norm = await rewardNormalization(db, { projectId: project.id, settings, rm, reference, fallback: [], log });
    }
    const samplesInRun = ps.iterations * Math.min(ps.promptsPerIteration, prompts.length);
    trainer = new PpoTrainer(reference.config, start.params, reference.params, lora, new Map(), {
      ...DEFAULT_PPO,
      maxNewTokens: ps.maxNewTokens,
      temperature: ps.temperature,
      ppoEpochs: ps.ppoEpochs,
      miniBatch: ps.miniBatch,
      learningRate: ps.learningRate,
      maxGradNorm: ps.maxGradNorm,
      initKl: ps.initKl,
      targetKl: ps.targetKl,
      // a fifth of the run, so β can move by up to e^{±1} over it (Ziegler et al.'s 10,000
      // samples would leave it fixed in a run of a few hundred)
      klHorizon: ps.klHorizon ?? Math.max(1, Math.round(samplesInRun / 5)),
      missingEosPenalty: ps.missingEosPenalty,
      rewardShift: norm?.shift ?? 0,
      rewardScale: norm?.scale ?? 1,
      seed: ps.seed + round.number,
    });
    // the reward model reads prompt + response + end-of-text, as it was trained
    const score = (p: number[][], r: number[][]) => rewardsOf(rm.config, rm.params, p.map((x, i) => [...x, ...r[i]!, tok.eos]));
    const rand = mulberry32(ps.seed + 11 + round.number);
    log.line(
      `policy: PPO on ${prompts.length} prompts, ${ps.iterations} iterations of ${ps.promptsPerIteration}, start ${start.name}, reference ${reference.name}, ` +
        `reward model ${rewardArtifact.path}${norm ? ` (normalised over ${norm.samples} ${norm.over})` : " (not normalised)"}`,
    );
    let last: Record<string, number> = {};
    for (let it = 1; it <= ps.iterations; it++) {
      await checkCancelled();
      const batch = Array.from({ length: Math.min(ps.promptsPerIteration, prompts.length) }, () => prompts[Math.floor(rand() * prompts.length)]!.ids);
      const m = await trainer.step(batch, score);
      last = m;
      await log.metrics("policy", it, { ...m, "progress/done": it, "progress/total": ps.iterations });
      if (it === 1 || it === ps.iterations || it % 5 === 0) {
        log.line(`policy iteration ${it}: reward ${m["env/reward_mean"].toFixed(3)} (raw ${m["env/reward_raw_mean"].toFixed(3)}) kl ${m["objective/kl"].toFixed(3)} β ${m["objective/kl_coef"].toFixed(4)} clipfrac ${m["policy/clipfrac"].toFixed(3)}`);
      }
    }
    await checkCancelled();
    const relative = path.join(project.id, `round-${round.number}`);
    const provenance = { reference: referenceKey(reference), referenceName: reference.name, start: start.name, rewardModel: rewardArtifact.id };
    await writeArtifactDir(path.join(checkpointsDir(), relative, "lora-adapter"), (dir) => saveLoraAdapter(dir, lora, start.name));
    const merged = lora.merge(start.params);
    const saved = await writeArtifactDir(path.join(checkpointsDir(), relative, "policy"), async (dir) => {
      const out = await saveCheckpoint(dir, { config: reference.config, params: merged }, { tokenizerFrom: reference.dir ?? undefined, metadata: { arbiter_round: round.id, arbiter_kind: "policy" } });
      fs.writeFileSync(path.join(dir, "training_config.json"), JSON.stringify({ settings: ps, ...provenance, ppo: trainer!.config }, null, 2) + "\n");
      return out;
    });
    disposeParams(merged);
    await checkCancelled();
    // both rows or neither: a policy without its adapter (or the reverse) is never registered
    await db.transaction(async (tx) => {
      await recordArtifact(tx, round, { kind: "lora_adapter", path: path.join(relative, "lora-adapter"), config: { lora: ps.lora, baseModel: start.name, ...provenance }, metrics: last });
      await recordArtifact(tx, round, { kind: "policy", path: path.join(relative, "policy"), config: { settings: ps, model: reference.config, ...provenance }, metrics: last, ...saved });
    });
    log.line(`policy saved: ${relative}/policy (LoRA merged) and ${relative}/lora-adapter`);
  } finally {
    trainer?.dispose();
    lora.dispose();
    if (previous) disposeParams(previous.params);
    disposeParams(reference.params);
    disposeParams(rm.params);
  }
}
