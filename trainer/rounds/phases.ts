// The runner of each phase, in one table: run-round.ts runs the round's phases in order.
import type { Phase } from "@/lib/rounds/round-settings";
import { evaluatePhase } from "./evaluate-phase";
import { generatePhase } from "./generate-phase";
import { policyPhase } from "./policy-phase";
import { rewardModelPhase, type PhaseContext } from "./reward-model-phase";
import { sftPhase } from "./sft-phase";

export const PHASE_RUNNERS: Record<Phase, (ctx: PhaseContext) => Promise<unknown>> = {
  sft: sftPhase,
  reward_model: rewardModelPhase,
  policy: policyPhase,
  evaluate: evaluatePhase,
  generate: generatePhase,
};
