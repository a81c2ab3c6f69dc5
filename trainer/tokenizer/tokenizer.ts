// Tokenizers: byte-level for tiny models (UTF-8 bytes 0–255, <|endoftext|> = 256), and
// GPT-2's byte-level BPE (Radford et al. 2019) from the maintained `gpt-tokenizer` package,
// whose vocabulary ships inside the package (no download). Special tokens in user text are
// encoded as plain text: only the trainer appends <|endoftext|>.
import { decode as bpeDecode, encode as bpeEncode } from "gpt-tokenizer/encoding/r50k_base";
import type { GPT2Config } from "../model/config";

export type Tokenizer = {
  name: "byte-level" | "gpt2-bpe";
  vocabSize: number;
  eos: number;
  encode(text: string): number[];
  decode(ids: number[]): string;
};

export const byteLevel: Tokenizer = {
  name: "byte-level",
  vocabSize: 257,
  eos: 256,
  encode: (text) => [...new TextEncoder().encode(text)],
  decode: (ids) => new TextDecoder().decode(new Uint8Array(ids.filter((i) => i < 256))),
};

export const gpt2Bpe: Tokenizer = {
  name: "gpt2-bpe",
  vocabSize: 50257,
  eos: 50256,
  encode: (text) => bpeEncode(text, { disallowedSpecial: new Set() }),
  decode: (ids) => bpeDecode(ids.filter((i) => i < 50256)),
};

/** The tokenizer a checkpoint was trained with: its own field, else by vocabulary size. */
export function tokenizerFor(config: GPT2Config): Tokenizer {
  const name = config.arbiter_tokenizer ?? (config.vocab_size >= 50257 ? "gpt2-bpe" : "byte-level");
  const tok = name === "gpt2-bpe" ? gpt2Bpe : byteLevel;
  if (config.vocab_size < tok.vocabSize) throw new Error(`vocab_size ${config.vocab_size} is smaller than the ${tok.name} tokenizer's ${tok.vocabSize}`);
  return tok;
}
