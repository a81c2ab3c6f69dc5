import { randomInt } from "node:crypto";
import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { getGenerativeModel, sampleFromModel } from "@/lib/models/policies";

const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(200_000) }).strict();
const body = z
  .object({
    prompt: z.union([z.string().max(200_000), z.array(message).min(1).max(200)]),
    n: z.number().int().min(1).max(8).default(1),
    maxNewTokens: z.number().int().min(1).max(512).default(128),
    temperature: z.number().min(0).max(2).default(1),
    topP: z.number().gt(0).max(1).default(1),
    // unseeded requests get a fresh seed, echoed back so a sample can be drawn again
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  })
  .strict();

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
