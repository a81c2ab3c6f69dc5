// Tokenizer files in Hugging Face's GPT-2 layout for Arbiter's byte-level tokenizer, so an
// exported checkpoint loads with GPT2Tokenizer as-is: GPT-2's byte-level BPE (Radford et
// al. 2019) maps every byte to a printable character (bytes_to_unicode in OpenAI's
// encoder.py); a vocabulary of exactly those 256 characters, in byte order, and no merges
// gives one token per byte with id = byte value, plus <|endoftext|> = 256: the same ids as
// trainer/tokenizer/tokenizer.ts's byteLevel.
import fs from "node:fs";
import path from "node:path";

/** GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to 256 + n. */
export function bytesToUnicode(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(keep(b) ? b : 256 + n++));
  return out;
}

export function writeByteLevelTokenizerFiles(dir: string, maxLength: number): void {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, b) => (vocab[ch] = b));
  vocab["<|endoftext|>"] = 256;
  fs.writeFileSync(path.join(dir, "vocab.json"), JSON.stringify(vocab));
  fs.writeFileSync(path.join(dir, "merges.txt"), "#version: 0.2\n");
  const special = { bos_token: "<|endoftext|>", eos_token: "<|endoftext|>", unk_token: "<|endoftext|>" };
  fs.writeFileSync(path.join(dir, "special_tokens_map.json"), JSON.stringify(special, null, 2) + "\n");
  fs.writeFileSync(
    path.join(dir, "tokenizer_config.json"),
    JSON.stringify({ tokenizer_class: "GPT2Tokenizer", model_max_length: maxLength, add_prefix_space: false, ...special }, null, 2) + "\n",
  );
}
