// UltraFeedback (openbmb/UltraFeedback): one instruction with several models' completions,
// each rated by GPT-4 on four aspects (helpfulness, honesty, instruction_following,
// truthfulness: "1".."5" or "N/A") and given an overall_score (critique, 1–10) and a
// fine-grained_score (mean of the aspect ratings). And its binarized form
// (HuggingFaceH4/ultrafeedback_binarized): prompt, chosen and rejected message lists with
// score_chosen and score_rejected.
import { z } from "zod";
import { MAX_TEXT, DEFAULT_SOURCE, toMessages, type ImportRecord, type ImportResponse } from "../records";
import { preferencePair } from "../preference-pair";
import { criteriaRankings, rankByScore } from "./score-ranking";

const MAX_COMPLETIONS = 9; // a comparison holds 2..9 responses
const score = z.number().finite();
const aspect = z.object({ Rating: z.union([z.string(), z.number()]).nullish() });
const completion = z.object({
  model: z.string().trim().min(1).max(200).nullish(),
  response: z.string().max(MAX_TEXT),
  overall_score: score.nullish(),
  "fine-grained_score": score.nullish(),
  // the Hugging Face copy has one object per aspect; the original JSON files a list of one
  annotations: z.record(z.string(), z.union([aspect, z.array(aspect)])).nullish(),
});
const rawRecord = z.object({
  instruction: z.string().min(1, "must not be empty").max(MAX_TEXT),
  completions: z.array(completion).min(1, "no completions").max(MAX_COMPLETIONS, `at most ${MAX_COMPLETIONS} completions make one ranking`),
});

function ratingOf(a: z.infer<typeof aspect> | z.infer<typeof aspect>[]): number | undefined {
  const first = Array.isArray(a) ? a[0] : a;
  const n = typeof first?.Rating === "number" ? first.Rating : Number(first?.Rating); // "N/A" → NaN
  return Number.isFinite(n) ? n : undefined;
}

/** One UltraFeedback record → a k-wise ranking by overall_score (equal scores tie), aspect ratings as criteria. */
export function ultrafeedbackRecord(value: unknown): ImportRecord {
  const r = rawRecord.parse(value);
  const aspects = new Set<string>();
  const responses: ImportResponse[] = r.completions.map((c) => {
    const ratings: Record<string, number> = {};
    if (c.overall_score != null) ratings.overall_score = c.overall_score;
    if (c["fine-grained_score"] != null) ratings["fine-grained_score"] = c["fine-grained_score"];
    for (const [name, a] of Object.entries(c.annotations ?? {})) {
      aspects.add(name);
      const n = ratingOf(a);
      if (n !== undefined) ratings[name] = n;
    }
    return { text: c.response, source: c.model ?? DEFAULT_SOURCE, ratings };
  });
  const keys = responses.map((x) => `${x.source}\u0000${x.text}`);
  if (new Set(keys).size !== keys.length) throw new Error("two completions have the same model and text");
  const record: ImportRecord = { messages: toMessages(r.instruction), responses, gold: false };
  if (responses.length < 2) return record; // kept with its ratings, in no comparison
  const missing = r.completions.findIndex((c) => c.overall_score == null);
  if (missing >= 0) throw new Error(`completions.${missing}.overall_score: a number is needed to rank the completions`);
  record.ranking = rankByScore(r.completions.map((c) => c.overall_score!));
  record.criteria = criteriaRankings(responses.map((x) => x.ratings!), [...aspects].sort());
  return record;
}

const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(MAX_TEXT) });
const binarizedRecord = z.object({
  prompt: z.string().min(1, "must not be empty").max(MAX_TEXT),
  chosen: z.array(message).min(1),
  rejected: z.array(message).min(1),
  score_chosen: score,
  score_rejected: score,
});

/** One ultrafeedback_binarized record → a pair: chosen first, a tie when the scores are equal. */
export function ultrafeedbackBinarizedRecord(value: unknown): ImportRecord {
  const r = binarizedRecord.parse(value);
  const pair = preferencePair(toMessages(r.prompt), r.chosen, r.rejected);
  if (pair.chosen === pair.rejected) throw new Error("chosen and rejected are the same text");
  return {
    messages: pair.messages,
    responses: [
      { text: pair.chosen, source: DEFAULT_SOURCE, ratings: { score: r.score_chosen } },
      { text: pair.rejected, source: DEFAULT_SOURCE, ratings: { score: r.score_rejected } },
    ],
    ranking: r.score_chosen === r.score_rejected ? [[0, 1]] : [[0], [1]],
    gold: false,
  };
}
