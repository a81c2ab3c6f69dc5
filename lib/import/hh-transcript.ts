// Anthropic HH-RLHF transcripts: "\n\nHuman: …\n\nAssistant: …" repeated. A record has a
// chosen and a rejected transcript that share every turn but the last assistant turn:
// the shared turns become the prompt, the two final assistant turns the responses.
import type { Message } from "@/lib/db/schema";

const TURN = /\n\n(Human|Assistant):[ ]?/g;

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

export function splitPreferenceTranscripts(
  chosen: string,
  rejected: string,
): { prompt: Message[]; chosen: string; rejected: string } {
  const a = parseTranscript(chosen);
  const b = parseTranscript(rejected);
  const lastA = a.at(-1);
  const lastB = b.at(-1);
  if (lastA?.role !== "assistant" || lastB?.role !== "assistant") {
    throw new Error("both transcripts must end with an Assistant turn");
  }
  const prompt = a.slice(0, -1);
  const sameContext =
    prompt.length === b.length - 1 && prompt.every((m, i) => m.role === b[i]!.role && m.content === b[i]!.content);
  if (!sameContext) throw new Error("chosen and rejected transcripts must share every turn before the last");
  if (prompt.length === 0) throw new Error("the transcripts have no Human turn before the answers");
  return { prompt, chosen: lastA.content, rejected: lastB.content };
}
