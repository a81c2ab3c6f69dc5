// Scores (prompt, response) pairs with a saved reward model. The last two models used stay
// loaded, so an admin paging through comparisons does not reload weights per request.
import * as tf from "@tensorflow/tfjs-core";
import { disposeParams, loadCheckpoint, type Checkpoint } from "../checkpoint/hf-gpt2";
import { forward } from "../model/gpt2";
import { rewardAt } from "../model/heads";
import { checkpointPath } from "@/lib/models/paths";
import { formatPrompt, formatResponse, type Message } from "../tokenizer/format";
import { tokenizerFor } from "../tokenizer/tokenizer";

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

/** One reward per response, as the model was trained: prompt + response + eos, cut from the left. */
export async function scoreResponses(relativePath: string, messages: Message[], responses: string[], batch = 16): Promise<number[]> {
  const { config, params } = model(relativePath);
  const tok = tokenizerFor(config);
  const prompt = tok.encode(formatPrompt(messages));
  const seqs = responses.map((r) => [...prompt, ...tok.encode(formatResponse(r)), tok.eos].slice(-config.n_positions));
  const out: number[] = [];
  for (let i = 0; i < seqs.length; i += batch) {
    const chunk = seqs.slice(i, i + batch);
    const T = Math.max(...chunk.map((s) => s.length));
    const r = tf.tidy(() => {
      const ids = tf.tensor2d(chunk.map((s) => [...s, ...new Array<number>(T - s.length).fill(tok.eos)]), undefined, "int32");
      const { hidden } = forward(config, params, { ids });
      return rewardAt(params, hidden, tf.tensor1d(chunk.map((s) => s.length - 1), "int32"));
    });
    out.push(...(await r.data()));
    r.dispose();
  }
  return out;
}
