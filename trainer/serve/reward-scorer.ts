// Scores (prompt, response) pairs with a saved reward model. The last two models used stay
// loaded, so an admin paging through comparisons does not reload weights per request.
import { disposeParams, loadCheckpoint, type Checkpoint } from "../checkpoint/hf-gpt2";
import { checkpointPath } from "@/lib/models/paths";
import { formatPrompt, formatResponse, type Message } from "../tokenizer/format";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { rewardsOf } from "../reward/score";

const KEEP = 2;
const loaded = new Map<string, Checkpoint>();

function model(relativePath: string): Checkpoint {
  let m = loaded.get(relativePath);
  if (m) {
    loaded.delete(relativePath); // re-insert: most recently used last
  } else {
    m = loadCheckpoint(checkpointPath(relativePath));
    if (!m.params.has("score.weight")) throw new Error(`${relativePath} has no reward head (score.weight)`);
  }
  loaded.set(relativePath, m);
  while (loaded.size > KEEP) {
    const [oldest, ckpt] = loaded.entries().next().value!;
    loaded.delete(oldest);
    disposeParams(ckpt.params);
  }
  return m;
}

/** One reward per response, as the model was trained: prompt + response + eos. */
export async function scoreResponses(relativePath: string, messages: Message[], responses: string[]): Promise<number[]> {
  const { config, params } = model(relativePath);
  const tok = tokenizerFor(config);
  const prompt = tok.encode(formatPrompt(messages));
  return rewardsOf(config, params, responses.map((r) => [...prompt, ...tok.encode(formatResponse(r)), tok.eos]));
}
