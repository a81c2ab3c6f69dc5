// The evaluation slice: a fixed tenth of every project's prompts, chosen by a hash of the
// prompt's id, that no phase trains on (SFT, the reward model and PPO leave them out), so
// the evaluate phase measures every round's policies on prompts none of them has seen.
// The generate phase still answers them: annotators' judgments of those answers rate the
// policies on the leaderboard, but never reach a reward model.
import { createHash } from "node:crypto";

export const HELD_OUT_FRACTION = 0.1;

export function isHeldOutPrompt(promptId: string): boolean {
  const h = createHash("sha256").update(`arbiter-held-out:${promptId}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < HELD_OUT_FRACTION;
}

