// The layout of a GPT-2 checkpoint, without tfjs: parameter names and shapes as in Hugging
// Face's GPT2LMHeadModel, the scalar heads' names, and how a stored tensor name maps onto
// them. The trainer builds models from it (gpt2.ts, hf-gpt2.ts); the web app checks a
// checkpoint folder against it before registering it (lib/models/register-model.ts).
import { type GPT2Config, innerSize } from "./config";

/** Names of the scalar heads (heads.ts says what each is). */
export const REWARD_HEAD = "score.weight";
export const VALUE_HEAD_W = "v_head.summary.weight";
export const VALUE_HEAD_B = "v_head.summary.bias";

/** Tokenizer files a checkpoint folder may carry (copied along with it, unchanged). */
export const TOKENIZER_FILES = ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

export const P = "transformer.";

/** The names and shapes of every parameter, in Hugging Face's order. */
export function parameterShapes(c: GPT2Config): [string, number[]][] {
  const C = c.n_embd;
  const F = innerSize(c);
  const out: [string, number[]][] = [
    [`${P}wte.weight`, [c.vocab_size, C]],
    [`${P}wpe.weight`, [c.n_positions, C]],
  ];
  for (let i = 0; i < c.n_layer; i++) {
    const h = `${P}h.${i}.`;
    out.push(
      [`${h}ln_1.weight`, [C]], [`${h}ln_1.bias`, [C]],
      [`${h}attn.c_attn.weight`, [C, 3 * C]], [`${h}attn.c_attn.bias`, [3 * C]],
      [`${h}attn.c_proj.weight`, [C, C]], [`${h}attn.c_proj.bias`, [C]],
      [`${h}ln_2.weight`, [C]], [`${h}ln_2.bias`, [C]],
      [`${h}mlp.c_fc.weight`, [C, F]], [`${h}mlp.c_fc.bias`, [F]],
      [`${h}mlp.c_proj.weight`, [F, C]], [`${h}mlp.c_proj.bias`, [C]],
    );
  }
  out.push([`${P}ln_f.weight`, [C]], [`${P}ln_f.bias`, [C]]);
  return out;
}

/** How many numbers parameterShapes(c) holds, computed without building the list. */
export function parameterCount(c: GPT2Config): number {
  const C = c.n_embd;
  const F = innerSize(c);
  // per layer: two LayerNorms, c_attn, c_proj, c_fc, the MLP's c_proj, each with its bias
  const layer = 4 * C + (3 * C * C + 3 * C) + (C * C + C) + (C * F + F) + (F * C + C);
  return (c.vocab_size + c.n_positions) * C + c.n_layer * layer + 2 * C;
}

const HEADS = [REWARD_HEAD, VALUE_HEAD_W, VALUE_HEAD_B];
// the attention-mask buffers of the original files, and the LM head (tied to wte, not stored)
const SKIPPED = /(^|\.)attn\.(bias|masked_bias)$|^lm_head\.weight$/;

/** The name this project uses for a stored tensor name, or null to skip it. */
export function canonicalName(stored: string): string | null {
  if (SKIPPED.test(stored)) return null;
  if (HEADS.includes(stored) || stored.startsWith(P)) return stored;
  return P + stored; // openai-community/gpt2 stores "h.0.attn.c_attn.weight"
}
