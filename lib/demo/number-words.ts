// The demo task: "write this digit in words" ("Hi. Write 7 in words. Thanks." → "seven"), a
// question with a checkable answer. Its data are made here (no downloads): prompts,
// demonstrations of mixed quality (the right word with probability `quality`, else another
// digit's word, so the SFT model learns to be right only about that often), and first
// responses (the right word and a wrong one) for annotators to compare. The oracle that
// checks an answer is for simulated annotators and benchmarks only: it is never shown to the
// reward model or the policy, which learn from judgments alone.
//
// Prompts: 12 templates × 10 digits × 8 prefixes × 6 suffixes (5,760 distinct texts), so the
// digit sits at many positions and prompts are rarely repeated. Two digits per template never
// occur in the demo's prompts (`isHeldOut`): a wording of a digit no phase has seen, to try
// in the playground. (Rounds hold out their own tenth of the prompts: lib/rounds/held-out.ts.)
//
// Why this task: a byte-level GPT-2 trained from scratch finds one digit by attention and
// maps it to a word quickly; comparing two numbers ("which is larger, A or B?") stayed at
// chance (loss ln 2 on the letter) for 9+ epochs even with clean labels at lr 1e-2, and
// copying a 2-digit number stayed under 20% after 40 epochs.
//
// Measured (2 shared CPU cores, WASM backend; scratch/probe2.ts): smallConfig({ n_positions:
// 128, n_embd: 64, n_layer: 3, n_head: 4 }) (longest example 87 tokens), SFT from scratch on
// 1,350 demonstrations of demoData({ prompts: 1500, quality: 0.7, seed: 1 }) (150 for
// validation), batch 16, lr 3e-3, clip 1, ~10 s an epoch (~11.5k tokens/s): oracle on 128
// held-out prompts sampling at temperature 1 is 0.31 after 4 epochs, 0.47–0.54 after 7–11
// (~110 s); the rest of its answers are other digits' words or misspellings ("zix", "thre").
// A reward model initialised from it (fresh head) on 400 judgments of right vs wrong word
// (oracle, 10% flipped; 329 train / 71 validation pairs), lr 1e-3, batch 16: validation
// accuracy against the noisy labels 0.66 / 0.78 / 0.87 after epochs 1–3 (0.72 / 0.83 / 0.93
// against the oracle), ~5 s an epoch; it overfits after (keep early stopping, patience 2).
// With lr 3e-4 it reaches 0.76 (0.82 vs oracle) after 4 epochs. SFT at lr 5e-3 is no better
// (held-out 0.47–0.56 after 6–12 epochs; its reward model peaked at 0.78 / 0.83 vs oracle at
// epoch 4). With 71 validation pairs these accuracies move by ±0.05 between runs.
import { mulberry32 } from "@/lib/bt/bootstrap";

export const DEMO_TASK = "number-words";

export const WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

/** Question templates; `{d}` is the digit. None has a digit of its own. */
export const TEMPLATES = [
  "Write {d} in words.",
  "How is {d} spelled?",
  "Spell the number {d}.",
  "{d}: what is it in words?",
  "What word means {d}?",
  "Please write the digit {d} as a word.",
  "Say {d} in English.",
  "The number {d}, in letters?",
  "Give the English name of {d}.",
  "Turn {d} into a word.",
  "In words, {d} is?",
  "Name the number {d} in words.",
];
const PREFIXES = ["", "Hi. ", "Quick one: ", "Hello! ", "Please help. ", "Question: ", "Hey, ", "Okay. "];
const SUFFIXES = ["", " Thanks.", " One word.", " Be brief.", " Lowercase.", " Thank you!"];

export type DemoPrompt = { text: string; digit: number; template: number };

/** Held out: two digits per template (every digit is held out with some templates). */
export function isHeldOut(template: number, digit: number): boolean {
  return digit === template % 10 || digit === (template + 5) % 10;
}

/** n distinct prompts (fewer if there are not that many), never pairing a template with its held-out digits. */
export function demoPrompts(n: number, seed: number): DemoPrompt[] {
  const rand = mulberry32(seed);
  const seen = new Set<string>();
  const out: DemoPrompt[] = [];
  let tries = 0;
  while (out.length < n && tries++ < n * 50) {
    const template = Math.floor(rand() * TEMPLATES.length);
    const digit = Math.floor(rand() * 10);
    const pre = PREFIXES[Math.floor(rand() * PREFIXES.length)]!;
    const suf = SUFFIXES[Math.floor(rand() * SUFFIXES.length)]!;
    if (isHeldOut(template, digit)) continue;
    const text = pre + TEMPLATES[template]!.replace("{d}", String(digit)) + suf;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ text, digit, template });
  }
  return out;
}

/** The digit a prompt asks about, read back from its text; null if it has none. */
export function promptDigit(prompt: string): number | null {
  const m = /\d/.exec(prompt);
  return m ? Number(m[0]) : null;
}

export function rightAnswer(p: { digit: number }): string {
  return WORDS[p.digit]!;
}

/**
 * The oracle: 1 for exactly the right word (any case, an optional final period), 0.5 when
 * the answer starts with it as a whole word but says more, 0 otherwise.
 */
export function oracleScore(prompt: string, response: string): number {
  const d = promptDigit(prompt);
  if (d === null) return 0;
  const want = WORDS[d]!;
  const text = response.trim().toLowerCase().replace(/\.$/, "");
  if (text === want) return 1;
  return text.startsWith(want) && !/^[a-z]/.test(text.slice(want.length)) ? 0.5 : 0;
}

/** Another digit's word, uniformly. */
function wrongWord(digit: number, rand: () => number): string {
  return WORDS[(digit + 1 + Math.floor(rand() * 9)) % 10]!;
}

/** A demonstration: the right word with probability `quality`, else another digit's word. */
export function demonstration(p: DemoPrompt, rand: () => number, quality: number): string {
  return rand() < quality ? rightAnswer(p) : wrongWord(p.digit, rand);
}

export type DemoData = {
  prompts: DemoPrompt[];
  /** import records (docs/API.md): one demonstration per prompt, then prompts with two answers to compare */
  records: object[];
};

/**
 * The demo project's import: one demonstration per (training-split) prompt, right with
 * probability `quality`, and every prompt with the right word and a wrong one as responses
 * of two imitation "models" (which one answers right varies), for annotators to compare.
 */
export function demoData(opts: { prompts: number; quality?: number; seed: number }): DemoData {
  const prompts = demoPrompts(opts.prompts, opts.seed);
  const rand = mulberry32(opts.seed + 1);
  const quality = opts.quality ?? 0.7;
  const records: object[] = [];
  for (const p of prompts) records.push({ prompt: p.text, completion: demonstration(p, rand, quality), source: "demo-writer" });
  for (const p of prompts) {
    const right = rightAnswer(p), wrong = wrongWord(p.digit, rand);
    const [a, b] = rand() < 0.5 ? [right, wrong] : [wrong, right];
    records.push({ prompt: p.text, responses: [{ text: a, source: "demo-model-a" }, { text: b, source: "demo-model-b" }] });
  }
  return { prompts, records };
}
