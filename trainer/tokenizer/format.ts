// How a conversation and a response become one text for the model, in the Anthropic HH
// transcript style ("\n\nHuman: …\n\nAssistant: …") that the import format already reads,
// so imported HH data, the reward model and the policy all see the same shape.
export type Message = { role: "system" | "user" | "assistant"; content: string };

const SPEAKER: Record<Message["role"], string> = { system: "System", user: "Human", assistant: "Assistant" };

/** The prompt as the model sees it, ending where the assistant's answer begins. */
export function formatPrompt(messages: Message[]): string {
  return messages.map((m) => `\n\n${SPEAKER[m.role]}: ${m.content}`).join("") + "\n\nAssistant:";
}

export function formatResponse(text: string): string {
  return ` ${text}`;
}
