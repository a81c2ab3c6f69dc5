// Two versions of one conversation (a preference's chosen and rejected, an Arena battle's
// two sides) become one prompt and two responses: the turns both share up to the last
// shared user turn are the prompt; everything after is that side's response, so no turn
// is dropped when the two diverge before their last answer.
import type { Message } from "@/lib/db/schema";

const SPEAKER: Record<Message["role"], string> = { user: "Human", assistant: "Assistant", system: "System" };

export function sameMessage(a: Message, b: Message): boolean {
  return a.role === b.role && a.content === b.content;
}

/**
 * The shared opening turns, cut back to end on a user turn so that each side's remainder
 * starts with the assistant's answer (as a response does).
 */
export function splitSharedTurns(a: Message[], b: Message[]): { prompt: Message[]; a: Message[]; b: Message[] } {
  let n = 0;
  while (n < a.length && n < b.length && sameMessage(a[n]!, b[n]!)) n++;
  while (n > 0 && a[n - 1]!.role !== "user") n--;
  return { prompt: a.slice(0, n), a: a.slice(n), b: b.slice(n) };
}

/**
 * A response made of several turns, as text: the first assistant turn as it is, each later
 * turn marked as in Anthropic's transcripts ("\n\nHuman: …", "\n\nAssistant: …"), the
 * format the trainer also writes prompts in. A single assistant turn is just its text.
 */
export function turnsAsText(turns: Message[]): string {
  return turns.map((m, i) => (i === 0 && m.role === "assistant" ? m.content : `\n\n${SPEAKER[m.role]}: ${m.content}`)).join("");
}

export function startsWith(list: Message[], prefix: Message[]): boolean {
  return prefix.length <= list.length && prefix.every((m, i) => sameMessage(m, list[i]!));
}
