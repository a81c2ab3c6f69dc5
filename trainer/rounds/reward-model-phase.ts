// Phase 1 of a round: fit the reward model on the judgments up to the round's watermark,
// save it as a versioned artifact (checkpoint + metrics + the config and data it saw), and
// record it in model_artifacts.
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { Db } from "@/lib/db/client";
import type { Round } from "@/lib/db/schema";
import type { RoundSettings } from "@/lib/rounds/round-settings";
import { disposeParams, saveCheckpoint } from "../checkpoint/hf-gpt2";
import { checkpointsDir } from "@/lib/models/paths";
import { buildExamples } from "../reward/examples";
import { helperCount } from "../parallel/grad-helper";
import { loadRewardJudgments } from "../reward/load-judgments";
import { RewardTrainer } from "../reward/reward-trainer";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { recordArtifact, roundProject, writeArtifactDir } from "./artifacts";
import { isHeldOutPrompt } from "@/lib/rounds/held-out";
import { loadReference, loadTrunk } from "./round-models";
import { rewardNormalization } from "../reward/normalization";
import type { RoundLog } from "./round-log";

export type PhaseContext = { db: Db; round: Round; settings: RoundSettings; log: RoundLog; backend: string; checkCancelled: () => Promise<void> };

export async function rewardModelPhase({ db, round, settings, log, backend, checkCancelled }: PhaseContext): Promise<{ artifactId: string }> {
  const rm = settings.rewardModel;
  const project = await roundProject(db, round);

  // the held-out evaluation slice never trains a reward model (lib/rounds/held-out.ts)
  const records = (await loadRewardJudgments(db, { projectId: project.id, watermark: round.judgmentWatermark, weighting: rm.weighting, qualityBar: project.qualityBar })).filter((r) => !isHeldOutPrompt(r.promptId));
  if (records.length === 0) throw new Error("no judgments to train a reward model on (excluded annotators and held-out prompts are left out)");
  // initialised from the SFT model when there is one (Ouyang et al. 2022 §3.5), a fresh head on top
  const base = await loadTrunk(db, project.id, settings, rm.seed, true);
  const tokenizer = tokenizerFor(base.config);
  const examples = buildExamples(records, {
    tokenizer,
    maxTokens: Math.min(rm.maxTokens, base.config.n_positions),
    validationFraction: rm.validationFraction,
    marginPerStrength: rm.marginPerStrength,
    allowTies: project.allowTies,
    seed: rm.seed,
  });
  log.line(
    `reward model: ${records.length} judgments over ${examples.counts.prompts} prompts (${examples.counts.validationPrompts} for validation), ` +
      `${examples.sequences.length} sequences, base ${base.name}, ${backend}`,
  );

  const trainer = new RewardTrainer(base.config, base.params, examples, { ...rm, clipNorm: 1 });
  try {
    const tfName = tf.getBackend();
    if (tfName === "wasm" || tfName === "cpu") await trainer.startHelpers(helperCount(tfName), tfName);
    log.line(`training on ${trainer.threads} thread${trainer.threads > 1 ? "s" : ""}`);
    const { history, best } = await trainer.train(async (m) => {
      log.line(`epoch ${m.epoch}: train ${m["train/loss"].toFixed(4)} val ${m["val/loss"]?.toFixed(4) ?? "-"} acc ${m["val/accuracy"]?.toFixed(3) ?? "-"} ${Math.round(m.tokensPerSecond)} tok/s`);
      const { epoch, tokensPerSecond, ...values } = m;
      await log.metrics("reward_model", epoch, { ...values, tokens_per_second: tokensPerSecond, "progress/done": epoch, "progress/total": rm.epochs });
      await checkCancelled(); // stops before anything is saved or recorded
    });

    await checkCancelled();
    const relative = path.join(project.id, `round-${round.number}`, "reward-model");
    const exported = trainer.exportParams();
    // scores shifted and scaled to mean 0, std 1 over the reference policy's samples
    // (Ziegler et al. 2019 §2.2; Stiennon et al. 2020 §3.4), stored with the model
    const reference = await loadReference(db, project.id, settings);
    const normalization = await rewardNormalization(db, { projectId: project.id, settings, rm: { config: base.config, params: exported }, reference, fallback: examples.sequences, log }).finally(
      () => reference && disposeParams(reference.params),
    );
    const trainingConfig = {
      round: { id: round.id, number: round.number },
      judgmentWatermark: round.judgmentWatermark.toISOString(),
      counts: { ...examples.counts, sequences: examples.sequences.length },
      baseModel: base.name,
      tokenizer: tokenizer.name,
      backend,
      settings: rm,
      tieModel: trainer.logNu ? "davidson" : "bradley-terry",
      rewardNormalization: normalization,
    };
    const saved = await writeArtifactDir(path.join(checkpointsDir(), relative), async (dir) => {
      const out = await saveCheckpoint(dir, { config: base.config, params: exported }, {
        architecture: "GPT2ForSequenceClassification",
        tokenizerFrom: base.dir ?? undefined,
        metadata: { arbiter_round: round.id, arbiter_kind: "reward_model" },
      });
      fs.writeFileSync(path.join(dir, "metrics.json"), JSON.stringify({ best, history }, null, 2) + "\n");
      fs.writeFileSync(path.join(dir, "training_config.json"), JSON.stringify(trainingConfig, null, 2) + "\n");
      fs.writeFileSync(path.join(dir, "reward_normalization.json"), JSON.stringify(normalization, null, 2) + "\n");
      return out;
    });
    if (exported !== base.params) disposeParams(exported);

    const metrics = Object.fromEntries(Object.entries(best).filter((e): e is [string, number] => typeof e[1] === "number"));
    await checkCancelled(); // the normalisation's sampling takes a while: a cancel during it registers nothing
    const artifactId = await recordArtifact(db, round, { kind: "reward_model", path: relative, config: { ...trainingConfig, model: base.config }, metrics, ...saved });
    log.line(`reward model saved: ${relative} (val accuracy ${best["val/accuracy"]?.toFixed(3) ?? "n/a"})`);
    return { artifactId };
  } finally {
    await trainer.dispose();
    disposeParams(base.params);
  }
}
