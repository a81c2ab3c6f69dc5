// Samples answers to a prompt from a saved policy or SFT model (GPT2LMHeadModel folder) for the
// web app's playground. The prompt is formatted as in training (formatPrompt) and cut from
// the left so that prompt + answer fit the context; n samples come from one batched call,
// each row drawing its own tokens from one seeded stream. The last two models used stay
// loaded (model-cache.ts); a registered model's weights are checked against their recorded
// SHA-256 when loaded.
import { getDb } from "@/lib/db/client";
import { checkpointPath } from "@/lib/models/paths";
import type { Sample, SamplingRequest } from "@/lib/models/policies";
import { loadCheckpoint } from "../checkpoint/hf-gpt2";
import { generate } from "../generate";
import { registeredSha256At } from "../rounds/artifacts";
import { formatPrompt, type Message } from "../tokenizer/format";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { ModelCache } from "./model-cache";


/** A request the model cannot serve as asked (answered 400, not 500). */
export class SampleInputError extends Error {}

export const policies = new ModelCache(2);

export async function samplePolicy(relativePath: string, messages: Message[], opts: SamplingRequest): Promise<Sample[]> {
  const dir = checkpointPath(relativePath);
  const sha256 = policies.has(dir) ? undefined : await registeredSha256At(getDb(), relativePath);
  return policies.use(dir, async ({ config, params }) => {
    const room = config.n_positions - opts.maxNewTokens;
    if (room < 1) throw new SampleInputError(`maxNewTokens must be below the model's context of ${config.n_positions} tokens`);
    const tok = tokenizerFor(config);
    // only the end of the text is tokenised (8 characters a token is more than BPE averages, and byte-level
    // tokens are at most one character), so a long prompt costs no long tokenisation
    const text = formatPrompt(messages);
    const prompt = tok.encode(text.slice(-room * 8)).slice(-room);
    const rows = await generate(config, params, Array.from({ length: opts.n }, () => prompt), {
      maxNewTokens: opts.maxNewTokens,
      temperature: opts.temperature,
      topP: opts.topP,
      topK: 0,
      seed: opts.seed,
      eos: tok.eos,
    });
    // generate() leaves eos out, so a row that stopped on eos is shorter than maxNewTokens
    return rows.map((ids) => ({ text: withoutLeadingSpace(tok.decode(ids)), tokens: ids.length, finished: ids.length < opts.maxNewTokens }));
  }, (d) => loadCheckpoint(d, { sha256 }));
}

/** Answers are trained as " " + text (formatResponse); the space is formatting, not content. */
function withoutLeadingSpace(text: string): string {
  return text.startsWith(" ") ? text.slice(1) : text;
}
