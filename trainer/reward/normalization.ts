// Reward normalisation (Ziegler et al. 2019 §2.2; Stiennon et al. 2020 §3.4): the reward
// model's scores are shifted and scaled so that the reference policy's own samples score
// mean 0 and standard deviation 1. PPO then sees rewards of a known scale whatever the
// reward model's arbitrary offset, so its KL coefficient and the missing-EOS penalty mean
// the same in every round. Without a reference policy (no SFT model, no named base) the
// statistics come from the judged responses the model was trained on, and say so.
import type { Db } from "@/lib/db/client";
import type { RoundSettings } from "@/lib/rounds/round-settings";
import { mulberry32 } from "@/lib/bt/bootstrap";
import { meanAndStd } from "@/lib/stats/moments";
import type { Checkpoint } from "../checkpoint/hf-gpt2";
import { sample } from "../generate";
import { tokenizerFor } from "../tokenizer/tokenizer";
import type { RoundLog } from "../rounds/round-log";
import { type LoadedModel, referenceKey } from "../rounds/round-models";
import { roundPrompts } from "../rounds/round-prompts";
import { rewardsOf } from "./score";

/** `reference`: the reference's key (round-models.ts referenceKey), so a policy phase can tell whether the statistics are its reference's. */
export type RewardNormalization = { shift: number; scale: number; over: "reference samples" | "judged responses"; samples: number; reference: string | null };

const PROMPTS = 64;
const SAMPLES_PER_PROMPT = 2;

/**
 * `reference`: the policy PPO will be penalised toward (the caller's, left loaded); without
 * one, the statistics come from `fallback`, the sequences the reward model trained on.
 */
export async function rewardNormalization(
  db: Db,
  opts: { projectId: string; settings: RoundSettings; rm: Checkpoint; reference: LoadedModel | null; fallback: number[][]; log: RoundLog },
): Promise<RewardNormalization> {
  const ref = opts.reference;
  let scores: number[];
  let over: RewardNormalization["over"];
  if (ref) {
    const ps = opts.settings.policy;
    const tok = tokenizerFor(ref.config);
    const all = await roundPrompts(db, opts.projectId, tok, ref.config.n_positions - ps.maxNewTokens, "train");
    // PROMPTS prompts (a seeded shuffle), SAMPLES_PER_PROMPT samples each
    const rand = mulberry32(ps.seed + 101);
    const order = all.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const picked = order.slice(0, PROMPTS).flatMap((i) => Array.from({ length: SAMPLES_PER_PROMPT }, () => all[i]!));
    const s = await sample(ref.config, ref.params, picked.map((p) => p.ids), { maxNewTokens: ps.maxNewTokens, temperature: ps.temperature, eos: tok.eos, seed: ps.seed + 103 });
    // every sample, as Ziegler et al. normalise (finished or not), scored at its last token
    scores = await rewardsOf(opts.rm.config, opts.rm.params, s.prompts.map((p, i) => [...p, ...s.tokens[i]!]));
    over = "reference samples";
  } else {
    scores = await rewardsOf(opts.rm.config, opts.rm.params, opts.fallback);
    over = "judged responses";
  }
  const { mean, std } = meanAndStd(scores);
  const out: RewardNormalization = { shift: scores.length ? mean : 0, scale: std > 1e-6 ? std : 1, over, samples: scores.length, reference: ref ? referenceKey(ref) : null };
  opts.log.line(`reward normalisation over ${out.samples} ${over}: shift ${out.shift.toFixed(4)}, scale ${out.scale.toFixed(4)}`);
  return out;
}
