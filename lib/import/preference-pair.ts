// A preference (prompt?, chosen, rejected) in any of the shapes TRL documents
// (huggingface.co/docs/trl/dataset_formats): standard (strings) or conversational (message
// lists), with an explicit prompt or an implicit one inside chosen and rejected; and
// Anthropic HH-RLHF transcripts, which are TRL's standard implicit form with turn markers.
// The result is one prompt and the two responses' texts.
import type { Message } from "@/lib/db/schema";
import { splitSharedTurns, startsWith, turnsAsText } from "./conversation";
import { isTranscript, splitPreferenceTranscripts } from "./hh-transcript";

type Side = string | Message[];

export type PreferencePair = { messages: Message[]; chosen: string; rejected: string };

/**
 * TRL's rule for a standard implicit prompt (trl.data_utils.extract_prompt): the longest
 * common prefix of the two strings, less the space before the point where they part.
 */
function commonTextPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i < a.length && i < b.length && i > 0 && a[i - 1] === " ") i--;
  return i;
}

function fromStrings(chosen: string, rejected: string): PreferencePair {
  if (isTranscript(chosen) && isTranscript(rejected)) {
    const split = splitPreferenceTranscripts(chosen, rejected);
    return { messages: split.prompt, chosen: split.chosen, rejected: split.rejected };
  }
  const n = commonTextPrefix(chosen, rejected);
  if (n === 0) throw new Error("without a prompt, chosen and rejected must begin with the prompt they share (TRL's implicit prompt) or be HH transcripts");
  return { messages: [{ role: "user", content: chosen.slice(0, n) }], chosen: chosen.slice(n), rejected: rejected.slice(n) };
}

const asTurns = (side: Side): Message[] => (typeof side === "string" ? [{ role: "assistant", content: side }] : side);

export function preferencePair(prompt: Message[] | undefined, chosen: Side, rejected: Side): PreferencePair {
  if (prompt === undefined && typeof chosen === "string" && typeof rejected === "string") return fromStrings(chosen, rejected);
  if (prompt !== undefined && typeof chosen === "string" && typeof rejected === "string") return { messages: prompt, chosen, rejected };
  let a = asTurns(chosen);
  let b = asTurns(rejected);
  // Some datasets (ultrafeedback_binarized) give the prompt and repeat it inside both sides.
  if (prompt && prompt.length > 0 && startsWith(a, prompt) && startsWith(b, prompt)) {
    a = a.slice(prompt.length);
    b = b.slice(prompt.length);
  }
  const split = splitSharedTurns(a, b);
  const messages = [...(prompt ?? []), ...split.prompt];
  if (messages.length === 0) throw new Error("chosen and rejected share no opening user turn and no prompt is given: there is no prompt they answer");
  return { messages, chosen: turnsAsText(split.a), rejected: turnsAsText(split.b) };
}
