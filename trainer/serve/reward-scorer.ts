// Scores (prompt, response) pairs with a saved reward model. The last two models used stay
// loaded (model-cache.ts).
import { loadCheckpoint } from "../checkpoint/hf-gpt2";
import { checkpointPath } from "@/lib/models/paths";
import { formatPrompt, formatResponse, type Message } from "../tokenizer/format";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { rewardsOf } from "../reward/score";
import { ModelCache } from "./model-cache";

export const rewardModels = new ModelCache(2, (dir) => {
  const ckpt = loadCheckpoint(dir);
  if (!ckpt.params.has("score.weight")) throw new Error(`${dir} has no reward head (score.weight)`);
  return ckpt;
});

/** One reward per response, as the model was trained: prompt + response + eos. */
export async function scoreResponses(relativePath: string, messages: Message[], responses: string[]): Promise<number[]> {
  return rewardModels.use(checkpointPath(relativePath), async ({ config, params }) => {
    const tok = tokenizerFor(config);
    const prompt = tok.encode(formatPrompt(messages));
    return rewardsOf(config, params, responses.map((r) => [...prompt, ...tok.encode(formatResponse(r)), tok.eos]));
  });
}
