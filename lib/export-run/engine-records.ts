// The lines `arbiter export-run` writes for an engine's trainers, from a prompt's messages
// and answers. One shape serves OpenRLHF and TRL alike (both read "prompt", "chosen",
// "rejected" for preferences, "prompt" and "completion" for SFT, "prompt" for RL prompts;
// README, "Training elsewhere", and tests/unit/export-run-engines.test.ts cite the code that
// reads them), in one of two styles:
// - "standard": text. The prompt is the conversation in Arbiter's transcript form
//   (trainer/tokenizer/format.ts, "\n\nHuman: …\n\nAssistant:") and an answer follows it
//   with a space, so the engine's "prompt + chosen" is the text Arbiter's own trainer
//   scores and generates from, up to the end-of-text token each appends: Arbiter and TRL
//   append eos as it is (TRL's add_eos), OpenRLHF strips trailing newlines and appends
//   " " + eos (reward_dataset.py L141-143, sft_dataset.py __getitem__). A GPT-2-family
//   model (no chat template) trained elsewhere sees the same shape as one trained here,
//   and can be registered back.
// - "conversational": the prompt as its message list and each answer as one assistant
//   message, for models with a chat template (OpenRLHF --data.apply_chat_template; TRL
//   applies the template itself when it sees messages).
// the trainer's own transcript form (a module without tfjs): its one definition
import { formatPrompt, formatResponse } from "@/trainer/tokenizer/format";
import type { Message } from "@/lib/db/schema";

export const RUN_STYLES = ["standard", "conversational"] as const;
export type RunStyle = (typeof RUN_STYLES)[number];

type Answer = string | Message[];

function prompt(messages: Message[], style: RunStyle): string | Message[] {
  return style === "standard" ? formatPrompt(messages) : messages;
}

function answer(text: string, style: RunStyle): Answer {
  return style === "standard" ? formatResponse(text) : [{ role: "assistant", content: text }];
}

export type PreferenceLine = { prompt: string | Message[]; chosen: Answer; rejected: Answer };
export type SftLine = { prompt: string | Message[]; completion: Answer };
export type PromptLine = { prompt: string | Message[] };

export function preferenceLine(messages: Message[], chosen: string, rejected: string, style: RunStyle): PreferenceLine {
  return { prompt: prompt(messages, style), chosen: answer(chosen, style), rejected: answer(rejected, style) };
}

export function sftLine(messages: Message[], completion: string, style: RunStyle): SftLine {
  return { prompt: prompt(messages, style), completion: answer(completion, style) };
}

export function promptLine(messages: Message[], style: RunStyle): PromptLine {
  return { prompt: prompt(messages, style) };
}
