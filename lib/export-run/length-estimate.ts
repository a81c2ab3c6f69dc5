// How many exported lines may not fit config.sh's MAX_LEN. The export does not know the
// tokenizer (BASE_MODEL is named afterwards), so it counts without one, two ways:
// - "mayExceed": one token per UTF-8 byte, the most a byte-level tokenizer uses (GPT-2's
//   BPE and its kin cover at least a byte a token; Arbiter's own byte tokenizer exactly
//   one): a line not counted here fits under such tokenizers.
// - "likelyExceed": four bytes a token, about what GPT-2's BPE takes on English text.
// A message list adds MESSAGE_TOKENS per message for the chat template's markers. Nothing
// is filtered: an estimate would drop lines that fit. Over-long lines cost differently per
// trainer: OpenRLHF truncates them (and drops those whose prompt alone fills MAX_LEN:
// reward_dataset.py, sft_dataset.py); TRL's RewardTrainer drops pairs longer than
// --max_length (reward_trainer.py, "Filtering ... tokens"), its SFT and DPO trainers
// truncate; PPO and RLOO never cap a prompt, so one longer than MAX_LEN − MAX_NEW_TOKENS
// leaves its answer less room (OpenRLHF cuts the sequence at MAX_LEN) or memory (TRL).
import type { Message } from "@/lib/db/schema";

export const TYPICAL_BYTES_PER_TOKEN = 4;
const MESSAGE_TOKENS = 8;

type Text = string | Message[];
type Counts = { prompts: number; pairs: number; sft: number };

export type LengthReport = {
  maxLen: number;
  maxNewTokens: number;
  /** lines over the limit at one token per byte: no more than this many can be over under a byte-level tokenizer */
  mayExceed: Counts;
  /** lines over the limit at four bytes a token */
  likelyExceed: Counts;
  /** lines written: pairs and SFT pairs against MAX_LEN, prompts against MAX_LEN − MAX_NEW_TOKENS */
  of: Counts;
  filtered: false;
};

function size(t: Text): { bytes: number; messages: number } {
  if (typeof t === "string") return { bytes: Buffer.byteLength(t), messages: 0 };
  return { bytes: t.reduce((n, m) => n + Buffer.byteLength(m.content), 0), messages: t.length };
}

/** Tallies each line written against the limits. */
export class LengthTally {
  private report: LengthReport;
  constructor(maxLen: number, maxNewTokens: number) {
    const zero = (): Counts => ({ prompts: 0, pairs: 0, sft: 0 });
    this.report = { maxLen, maxNewTokens, mayExceed: zero(), likelyExceed: zero(), of: zero(), filtered: false };
  }
  private add(kind: keyof Counts, limit: number, parts: Text[], eos: number) {
    const s = parts.map(size).reduce((a, b) => ({ bytes: a.bytes + b.bytes, messages: a.messages + b.messages }));
    const markers = s.messages * MESSAGE_TOKENS + eos;
    this.report.of[kind]++;
    if (s.bytes + markers > limit) this.report.mayExceed[kind]++;
    if (Math.ceil(s.bytes / TYPICAL_BYTES_PER_TOKEN) + markers > limit) this.report.likelyExceed[kind]++;
  }
  prompt(prompt: Text) {
    this.add("prompts", this.report.maxLen - this.report.maxNewTokens, [prompt], 0);
  }
  /** a pair is as long as its prompt and longer answer, with the eos the trainers append */
  pair(prompt: Text, chosen: Text, rejected: Text) {
    this.add("pairs", this.report.maxLen, [prompt, size(chosen).bytes >= size(rejected).bytes ? chosen : rejected], 1);
  }
  sft(prompt: Text, completion: Text) {
    this.add("sft", this.report.maxLen, [prompt, completion], 1);
  }
  result(): LengthReport {
    return structuredClone(this.report);
  }
}

/** One line for the printed summary and the export's README. */
export function lengthSummary(r: LengthReport): string {
  const c = (x: Counts) => `${x.pairs} of ${r.of.pairs} pairs, ${x.sft} of ${r.of.sft} SFT pairs, ${x.prompts} of ${r.of.prompts} prompts`;
  return (
    `lengths against MAX_LEN ${r.maxLen} (prompts: MAX_LEN - MAX_NEW_TOKENS = ${r.maxLen - r.maxNewTokens}), estimated without the tokenizer, nothing filtered: ` +
    `${c(r.likelyExceed)} longer at ${TYPICAL_BYTES_PER_TOKEN} bytes a token; at most ${c(r.mayExceed)} at one token a byte`
  );
}

/** A warning when lines are likely too long, for config.sh and the command's output. */
export function lengthWarnings(r: LengthReport): string[] {
  const l = r.likelyExceed;
  if (l.pairs + l.sft + l.prompts === 0) return [];
  return [
    `about ${l.pairs} pair(s), ${l.sft} SFT pair(s) and ${l.prompts} prompt(s) are longer than MAX_LEN ${r.maxLen} (prompts: than MAX_LEN - MAX_NEW_TOKENS) at ${TYPICAL_BYTES_PER_TOKEN} bytes a token: ` +
      "TRL's RewardTrainer drops such pairs, the other trainers truncate; PPO/RLOO never cap a prompt. Raise MAX_LEN if the model allows (manifest.json lengths)",
  ];
}
