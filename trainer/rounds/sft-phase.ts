// Phase "sft" of a round (Ouyang et al. 2022, step 1): supervised fine-tuning of the base
// model on the project's demonstrations, split by prompt into training and validation,
// early-stopped on validation loss. Saved as a GPT2LMHeadModel folder, recorded as an
// artifact of kind "sft": the reference policy and the reward model's start from then on.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { checkpointsDir } from "@/lib/models/paths";
import { disposeParams, saveCheckpoint } from "../checkpoint/hf-gpt2";
import { isValidationPrompt } from "../reward/examples";
import { loadDemonstrations } from "../sft/load-demonstrations";
import { type SftExample, SftTrainer } from "../sft/sft-trainer";
import { formatPrompt, formatResponse } from "../tokenizer/format";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { latestArtifact, recordArtifact, roundProject, writeArtifactDir } from "./artifacts";
import type { PhaseContext } from "./reward-model-phase";
import { loadTrunk } from "./round-models";

export async function sftPhase({ db, round, settings, log, checkCancelled }: PhaseContext): Promise<{ artifactId: string }> {
  const s = settings.sft;
  const project = await roundProject(db, round);
  const rm = settings.rewardModel;
  const demos = await loadDemonstrations(db, {
    projectId: project.id,
    watermark: round.judgmentWatermark,
    includeJudgedBest: s.includeJudgedBest,
    rewardValidation: (promptId) => isValidationPrompt(promptId, rm.validationFraction, rm.seed),
  });
  if (demos.length === 0) {
    throw new Error(`no demonstrations to fine-tune on: import {prompt, completion} records${s.includeJudgedBest ? "" : " or set sft.includeJudgedBest to use the judged-best responses"}`);
  }
  // Rounds that start themselves run the project's phases every time: an SFT model trained
  // on exactly these demonstrations with these settings is kept, not trained again (a new
  // one would be a new reference and restart PPO from it).
  const fingerprint = createHash("sha256")
    .update(JSON.stringify({ demos: demos.map((d) => [d.promptId, d.completion]).sort(), settings: s, base: settings.baseModel ?? settings.scratchModel }))
    .digest("hex");
  const previous = await latestArtifact(db, project.id, "sft");
  if (previous?.config.dataFingerprint === fingerprint) {
    log.line(`sft: no new demonstrations or settings since ${previous.path}; keeping it`);
    return { artifactId: previous.id };
  }
  // SFT starts from the base model (not from an earlier SFT model: each SFT is one step 1)
  const base = await loadTrunk(db, project.id, settings, s.seed, false);
  const tok = tokenizerFor(base.config);
  const maxTokens = Math.min(s.maxTokens, base.config.n_positions);
  const toExample = (d: (typeof demos)[number]): SftExample => {
    const completion = [...tok.encode(formatResponse(d.completion)), tok.eos].slice(0, maxTokens - 1);
    const prompt = tok.encode(formatPrompt(d.messages));
    // the prompt keeps its end (the last turn) when the pair is longer than the context
    return { prompt: prompt.length === 0 ? [tok.eos] : prompt.slice(-(maxTokens - completion.length)), completion };
  };
  const train: SftExample[] = [];
  const validation: SftExample[] = [];
  const promptIds = new Set<string>();
  const validationPrompts = new Set<string>();
  for (const d of demos) {
    promptIds.add(d.promptId);
    const val = isValidationPrompt(d.promptId, s.validationFraction, s.seed);
    if (val) validationPrompts.add(d.promptId);
    (val ? validation : train).push(toExample(d));
  }
  if (train.length === 0) throw new Error("every demonstration fell in the validation split: lower sft.validationFraction or import more");
  const judgedBest = demos.filter((d) => d.origin === "judged-best").length;
  log.line(
    `sft: ${demos.length} demonstrations (${judgedBest} judged-best) over ${promptIds.size} prompts (${validationPrompts.size} for validation), ` +
      `base ${base.name}, ${s.lora ? `LoRA r=${s.lora.r}` : "full fine-tuning"}`,
  );

  const trainer = new SftTrainer(base.config, base.params, train, validation, { ...s, clipNorm: 1 });
  const stepsPerEpoch = Math.ceil(train.length / s.batchSize);
  let step = 0;
  try {
    const { history, best } = await trainer.fit(
      async (m) => {
        log.line(`sft epoch ${m.epoch}: train ${m["train/loss"].toFixed(4)} val ${m["val/loss"]?.toFixed(4) ?? "-"} ppl ${m["val/perplexity"]?.toFixed(3) ?? "-"} ${Math.round(m.tokensPerSecond)} tok/s`);
        const { epoch, tokensPerSecond, ...values } = m;
        await log.metrics("sft", epoch, { ...values, tokens_per_second: tokensPerSecond });
      },
      async () => {
        step++;
        await checkCancelled();
        if (step % 10 === 0) await log.metrics("sft", step, { "progress/done": step, "progress/total": stepsPerEpoch * s.epochs });
      },
    );
    await checkCancelled();
    const relative = path.join(project.id, `round-${round.number}`, "sft");
    const exported = trainer.exportParams();
    const trainingConfig = {
      round: { id: round.id, number: round.number },
      counts: { demonstrations: demos.length, judgedBest, prompts: promptIds.size, validationPrompts: validationPrompts.size, train: train.length, validation: validation.length },
      baseModel: base.name,
      tokenizer: tok.name,
      settings: s,
      dataFingerprint: fingerprint,
    };
    const saved = await writeArtifactDir(path.join(checkpointsDir(), relative), async (dir) => {
      const out = await saveCheckpoint(dir, { config: base.config, params: exported }, { tokenizerFrom: base.dir ?? undefined, metadata: { arbiter_round: round.id, arbiter_kind: "sft" } });
      fs.writeFileSync(path.join(dir, "metrics.json"), JSON.stringify({ best, history }, null, 2) + "\n");
      fs.writeFileSync(path.join(dir, "training_config.json"), JSON.stringify(trainingConfig, null, 2) + "\n");
      return out;
    });
    if (exported !== base.params) disposeParams(exported);
    const metrics = Object.fromEntries(Object.entries(best).filter((e): e is [string, number] => typeof e[1] === "number"));
    const artifactId = await recordArtifact(db, round, { kind: "sft", path: relative, config: { ...trainingConfig, model: base.config }, metrics, ...saved });
    log.line(`sft model saved: ${relative} (val loss ${best["val/loss"]?.toFixed(4) ?? "n/a"}, perplexity ${best["val/perplexity"]?.toFixed(3) ?? "n/a"})`);
    return { artifactId };
  } finally {
    trainer.dispose();
    disposeParams(base.params);
  }
}
