// From judgments to reward-model training items. Each distinct (prompt, response) becomes
// one token sequence scored once per batch; judgments become comparisons between sequence
// indexes under the losses of losses.ts:
// - a strict pair → a win (w, l) with margin = marginPerStrength · (strength − 1)
// - a tie between two → a tie (Davidson), kept only when the project allows ties
// - a k-wise ranking without ties → one Plackett–Luce ranking; with tie groups → its
//   pairwise expansion (wins between groups, ties within), as lib/bt does
// "Both bad" verdicts keep their ranking: the model learns the order, not the badness.
// The train/validation split is by prompt, so no prompt's responses are on both sides.
import { createHash } from "node:crypto";
import type { Tokenizer } from "../tokenizer/tokenizer";
import { formatPrompt, formatResponse, type Message } from "../tokenizer/format";

export type JudgmentRecord = {
  promptId: string;
  messages: Message[];
  responses: { id: string; text: string }[];
  ranking: string[][];
  strength: number | null;
  weight: number;
};

export type Win = { w: number; l: number; margin: number; weight: number };
export type Tie = { a: number; b: number; weight: number };
export type Ranking = { order: number[]; weight: number };

export type Split = { wins: Win[]; ties: Tie[]; rankings: Ranking[] };

export type RewardExamples = {
  /** token ids per sequence: prompt + response + eos, cut from the left to fit */
  sequences: number[][];
  train: Split;
  validation: Split;
  counts: { judgments: number; prompts: number; validationPrompts: number };
};

export type ExampleOptions = {
  tokenizer: Tokenizer;
  maxTokens: number;
  validationFraction: number;
  marginPerStrength: number;
  allowTies: boolean;
  seed: number;
};

/** Deterministic share of prompts in validation: a hash of seed and prompt id. */
export function isValidationPrompt(promptId: string, fraction: number, seed: number): boolean {
  const h = createHash("sha256").update(`${seed}:${promptId}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < fraction;
}

export function buildExamples(records: JudgmentRecord[], opts: ExampleOptions): RewardExamples {
  const sequences: number[][] = [];
  const index = new Map<string, number>(); // promptId:responseId → sequence
  const train: Split = { wins: [], ties: [], rankings: [] };
  const validation: Split = { wins: [], ties: [], rankings: [] };
  const prompts = new Set<string>();
  const validationPrompts = new Set<string>();

  const sequenceOf = (r: JudgmentRecord, responseId: string): number => {
    const key = `${r.promptId}:${responseId}`;
    let i = index.get(key);
    if (i === undefined) {
      const response = r.responses.find((x) => x.id === responseId);
      if (!response) throw new Error(`judgment ranks response ${responseId}, which its comparison does not have`);
      const prompt = opts.tokenizer.encode(formatPrompt(r.messages));
      const answer = [...opts.tokenizer.encode(formatResponse(response.text)), opts.tokenizer.eos];
      // keep the whole answer when it fits, and the end of the prompt (its last turn)
      const ids = [...prompt, ...answer].slice(-opts.maxTokens);
      i = sequences.push(ids) - 1;
      index.set(key, i);
    }
    return i;
  };

  for (const r of records) {
    prompts.add(r.promptId);
    const valid = isValidationPrompt(r.promptId, opts.validationFraction, opts.seed);
    if (valid) validationPrompts.add(r.promptId);
    const split = valid ? validation : train;
    const groups = r.ranking.map((g) => g.map((id) => sequenceOf(r, id)));
    const size = groups.reduce((n, g) => n + g.length, 0);
    if (size < 2) continue;
    if (groups.every((g) => g.length === 1) && size > 2) {
      split.rankings.push({ order: groups.map((g) => g[0]!), weight: r.weight });
      continue;
    }
    const margin = size === 2 && r.strength ? opts.marginPerStrength * (r.strength - 1) : 0;
    groups.forEach((g, gi) => {
      if (opts.allowTies) for (let x = 0; x < g.length; x++) for (let y = x + 1; y < g.length; y++) split.ties.push({ a: g[x]!, b: g[y]!, weight: r.weight });
      for (const worse of groups.slice(gi + 1)) for (const w of g) for (const l of worse) split.wins.push({ w, l, margin, weight: r.weight });
    });
  }
  return { sequences, train, validation, counts: { judgments: records.length, prompts: prompts.size, validationPrompts: validationPrompts.size } };
}
