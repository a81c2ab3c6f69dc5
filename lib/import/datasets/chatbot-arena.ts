// Chatbot Arena battles (lmsys/chatbot_arena_conversations): two anonymous models answer
// the same user, who votes. Fields used: model_a, model_b, winner ("model_a", "model_b",
// "tie", "tie (bothbad)"), conversation_a and conversation_b (message lists). Each battle
// becomes a pair whose responses carry the model names as sources, with the vote as an
// imported judgment, so the leaderboard rates the models.
//
// Multi-turn battles: the user's first turn is the same on both sides, but from the first
// answer on the two conversations differ. The shared opening turns (up to the last shared
// user turn) are the prompt; each side's answers and the user's later turns on that side
// are its response, the later turns marked "\n\nHuman: …" / "\n\nAssistant: …"
// (conversation.ts). The vote is on the whole conversation, so it stays one comparison.
import { z } from "zod";
import { MAX_TEXT, type ImportRecord } from "../records";
import { splitSharedTurns, turnsAsText } from "../conversation";

const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(MAX_TEXT) });
const conversation = z.array(message).min(2, "a conversation needs a user turn and an answer");
const model = z.string().trim().min(1).max(200);
const battle = z.object({
  model_a: model,
  model_b: model,
  winner: z.enum(["model_a", "model_b", "tie", "tie (bothbad)"]),
  conversation_a: conversation,
  conversation_b: conversation,
});

const VERDICT: Record<z.infer<typeof battle>["winner"], { ranking: number[][]; bothBad?: boolean }> = {
  model_a: { ranking: [[0], [1]] },
  model_b: { ranking: [[1], [0]] },
  tie: { ranking: [[0, 1]] },
  "tie (bothbad)": { ranking: [[0, 1]], bothBad: true },
};

export function chatbotArenaRecord(value: unknown): ImportRecord {
  const b = battle.parse(value);
  const split = splitSharedTurns(b.conversation_a, b.conversation_b);
  if (split.prompt.length === 0) throw new Error("conversation_a and conversation_b share no opening user turn");
  const a = turnsAsText(split.a);
  const other = turnsAsText(split.b);
  if (b.model_a === b.model_b && a === other) throw new Error("both sides are the same model with the same answer");
  return {
    messages: split.prompt,
    responses: [
      { text: a, source: b.model_a },
      { text: other, source: b.model_b },
    ],
    ...VERDICT[b.winner],
    gold: false,
  };
}
