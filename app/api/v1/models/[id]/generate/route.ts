import { randomInt } from "node:crypto";
import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { getGenerativeModel, sampleFromModel } from "@/lib/models/policies";

/** A prompt longer than this is refused rather than cut: no model served here reads more. */
const MAX_PROMPT_CHARS = 32_000;
/** Samples × new tokens per request: a bound on one request's time on the trainer. */
const MAX_TOKENS_PER_REQUEST = 1024;
const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(MAX_PROMPT_CHARS) }).strict();
const body = z
  .object({
    prompt: z.union([z.string().max(MAX_PROMPT_CHARS), z.array(message).min(1).max(200)]),
    n: z.number().int().min(1).max(8).default(1),
    maxNewTokens: z.number().int().min(1).max(512).default(128),
    temperature: z.number().min(0).max(2).default(1),
    topP: z.number().gt(0).max(1).default(1),
    // unseeded requests get a fresh seed, echoed back so a sample can be drawn again
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  })
  .strict()
  .refine((b) => (typeof b.prompt === "string" ? b.prompt.length : b.prompt.reduce((a, m) => a + m.content.length, 0)) <= MAX_PROMPT_CHARS, `the prompt is longer than ${MAX_PROMPT_CHARS} characters`)
  .refine((b) => b.n * b.maxNewTokens <= MAX_TOKENS_PER_REQUEST, `n × maxNewTokens must be at most ${MAX_TOKENS_PER_REQUEST}`);

/**
 * Samples answers from a saved policy or SFT model (API.md):
 * { prompt: string | messages, n?, maxNewTokens?, temperature?, topP?, seed? } →
 * { modelId, seed, samples: [{ text, tokens, finished }] }, computed by a live trainer (503 without one).
 */
export const POST = withPermission<{ id: string }>("models.score", async ({ req, params }) => {
  const model = await getGenerativeModel(uuidParam(params.id, "model"));
  if (!model) throw new ApiError("not_found", "No such policy or SFT model");
  const input = await parseJson(req, body);
  const messages = typeof input.prompt === "string" ? [{ role: "user" as const, content: input.prompt }] : input.prompt;
  const seed = input.seed ?? randomInt(2 ** 32 - 1);
  const samples = await sampleFromModel(model, messages, { n: input.n, maxNewTokens: input.maxNewTokens, temperature: input.temperature, topP: input.topP, seed });
  return Response.json({ modelId: model.id, seed, samples });
});
