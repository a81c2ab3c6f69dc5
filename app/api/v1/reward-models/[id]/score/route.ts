import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { getRewardModel, scoreWithRewardModel } from "@/lib/models/reward-models";

const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(200_000) }).strict();
const body = z
  .object({
    prompt: z.union([z.string().max(200_000), z.array(message).min(1).max(200)]),
    responses: z.array(z.union([z.string().max(200_000), z.object({ text: z.string().max(200_000) }).strict()])).min(1).max(64),
  })
  .strict();

/**
 * Scores responses to a prompt with a reward model (API.md):
 * { prompt: string | messages, responses: [string | { text }] } → { rewardModelId, scores: [number] }.
 * Scores are the model's scalar rewards, comparable within one model (higher = preferred).
 */
export const POST = withPermission<{ id: string }>("models.score", async ({ req, params }) => {
  const model = await getRewardModel(uuidParam(params.id, "reward model"));
  if (!model) throw new ApiError("not_found", "No such reward model");
  const input = await parseJson(req, body);
  const messages = typeof input.prompt === "string" ? [{ role: "user" as const, content: input.prompt }] : input.prompt;
  const texts = input.responses.map((r) => (typeof r === "string" ? r : r.text));
  const scores = await scoreWithRewardModel(model, messages, texts);
  return Response.json({ rewardModelId: model.id, scores });
});
