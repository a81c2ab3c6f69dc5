// Anthropic HH-RLHF transcripts: "\n\nHuman: …\n\nAssistant: …" repeated. A record's chosen
// and rejected transcripts usually share every turn but the last assistant turn; in a few
// (a handful of harmless-base's test split) they part earlier. Either way the shared
// opening turns, up to the last shared Human turn, are the prompt and each side's
// remaining turns are its response (conversation.ts), so nothing is dropped.
import type { Message } from "@/lib/db/schema";
import { splitSharedTurns, turnsAsText } from "./conversation";

const TURN = /\n\n(Human|Assistant):[ ]?/g;

/** True when the text reads as an HH transcript (it has a "Human:" turn). */
export function isTranscript(text: string): boolean {
  return /(^|\n\n)Human:/.test(text);
}

export function parseTranscript(transcript: string): Message[] {
  const text = transcript.startsWith("\n\n") ? transcript : `\n\n${transcript}`;
  const marks = [...text.matchAll(TURN)];
  if (marks.length === 0) throw new Error('not an HH transcript: no "Human:" or "Assistant:" turns');
  return marks.map((m, i) => {
    const start = m.index! + m[0].length;
    const end = i + 1 < marks.length ? marks[i + 1]!.index! : text.length;
    return { role: m[1] === "Human" ? "user" : "assistant", content: text.slice(start, end).trim() } as Message;
  });
}

export function splitPreferenceTranscripts(chosen: string, rejected: string): { prompt: Message[]; chosen: string; rejected: string } {
  const split = splitSharedTurns(parseTranscript(chosen), parseTranscript(rejected));
  if (split.prompt.length === 0) throw new Error("chosen and rejected share no opening Human turn: there is no prompt they answer");
  return { prompt: split.prompt, chosen: turnsAsText(split.a), rejected: turnsAsText(split.b) };
}
