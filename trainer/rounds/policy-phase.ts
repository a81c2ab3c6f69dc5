// Phase 2 of a round: PPO on the project's prompts against the reward model (Ouyang et al.
// 2022, §3.5), the policy being the base model plus a LoRA adapter and the reference the
// base itself. Saves the adapter (PEFT layout) and the merged policy (GPT2LMHeadModel) as
// artifacts, with metrics per iteration in round_metrics (phase "policy").
import path from "node:path";
import { desc, eq } from "drizzle-orm";
import { checkpointPath, checkpointsDir } from "@/lib/models/paths";
import { prompts as promptsTable } from "@/lib/db/schema";
import { mulberry32 } from "@/lib/bt/bootstrap";
import { disposeParams, loadCheckpoint, saveCheckpoint } from "../checkpoint/hf-gpt2";
import { saveLoraAdapter } from "../checkpoint/peft-lora";
import { LoraAdapter } from "../model/lora";
import { DEFAULT_PPO, PpoTrainer } from "../ppo/ppo-trainer";
import { rewardsOf } from "../reward/score";
import { formatPrompt, type Message } from "../tokenizer/format";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { latestArtifact, recordArtifact, roundProject } from "./artifacts";
import { loadBaseModel } from "./base-model";
import type { PhaseContext } from "./reward-model-phase";

const MAX_PROMPTS = 2000;

export async function policyPhase({ db, round, settings, log }: PhaseContext): Promise<void> {
  const ps = settings.policy;
  const project = await roundProject(db, round);
  const rewardArtifact = await latestArtifact(db, project.id, "reward_model");
  if (!rewardArtifact) throw new Error("no reward model to optimise against: run the reward_model phase first");
  const rm = loadCheckpoint(checkpointPath(rewardArtifact.path));
  const base = loadBaseModel(settings.baseModel, settings.rewardModel.seed);
  const tok = tokenizerFor(base.config);
  if (tokenizerFor(rm.config).name !== tok.name) throw new Error(`the reward model reads ${tokenizerFor(rm.config).name} tokens, the policy ${tok.name}`);
  const rows = await db.select({ messages: promptsTable.messages }).from(promptsTable).where(eq(promptsTable.projectId, project.id)).orderBy(desc(promptsTable.createdAt)).limit(MAX_PROMPTS);
  if (rows.length === 0) throw new Error("the project has no prompts to train the policy on");
  const room = base.config.n_positions - ps.maxNewTokens;
  if (room < 8) throw new Error(`maxNewTokens ${ps.maxNewTokens} leaves too little context in n_positions ${base.config.n_positions}`);
  const promptIds = rows.map((r) => tok.encode(formatPrompt(r.messages as Message[])).slice(-room));

  const lora = new LoraAdapter(ps.lora, base.config, ps.seed);
  const trainer = new PpoTrainer(base.config, base.params, lora, new Map(), {
    ...DEFAULT_PPO,
    maxNewTokens: ps.maxNewTokens,
    ppoEpochs: ps.ppoEpochs,
    miniBatch: ps.miniBatch,
    learningRate: ps.learningRate,
    initKl: ps.initKl,
    targetKl: ps.targetKl,
    seed: ps.seed,
  });
  // the reward model scores prompt + response + end-of-text, as it was trained
  const score = (p: number[][], r: number[][]) => rewardsOf(rm.config, rm.params, p.map((x, i) => [...x, ...r[i]!, tok.eos]));
  const rand = mulberry32(ps.seed + 11);
  log.line(`policy: PPO on ${promptIds.length} prompts, ${ps.iterations} iterations of ${ps.promptsPerIteration}, base ${base.name}, reward model of ${rewardArtifact.createdAt.toISOString()}`);
  try {
    let last: Record<string, number> = {};
    for (let it = 1; it <= ps.iterations; it++) {
      const batch = Array.from({ length: Math.min(ps.promptsPerIteration, promptIds.length) }, () => promptIds[Math.floor(rand() * promptIds.length)]!);
      const m = await trainer.step(batch, score);
      last = m;
      await log.metrics("policy", it, m);
      if (it === 1 || it === ps.iterations || it % 5 === 0) log.line(`policy iteration ${it}: reward ${m["env/reward_mean"].toFixed(3)} kl ${m["objective/kl"].toFixed(3)} clipfrac ${m["policy/clipfrac"].toFixed(3)}`);
    }
    const relative = path.join(project.id, `round-${round.number}`);
    const adapterDir = path.join(checkpointsDir(), relative, "lora-adapter");
    await saveLoraAdapter(adapterDir, lora, base.name);
    await recordArtifact(db, round, { kind: "lora_adapter", path: path.join(relative, "lora-adapter"), config: { lora: ps.lora, baseModel: base.name }, metrics: last });
    const merged = lora.merge(base.params);
    const saved = await saveCheckpoint(path.join(checkpointsDir(), relative, "policy"), { config: base.config, params: merged }, {
      tokenizerFrom: base.dir ?? undefined,
      metadata: { arbiter_round: round.id, arbiter_kind: "policy" },
    });
    disposeParams(merged);
    await recordArtifact(db, round, { kind: "policy", path: path.join(relative, "policy"), config: { settings: ps, baseModel: base.name, model: base.config }, metrics: last, ...saved });
    log.line(`policy saved: ${relative}/policy (LoRA merged) and ${relative}/lora-adapter`);
  } finally {
    trainer.dispose();
    lora.dispose();
    disposeParams(base.params);
    disposeParams(rm.params);
  }
}
