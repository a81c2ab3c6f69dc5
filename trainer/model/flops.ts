// FLOP counts per token for a GPT-2 trunk, to express speed as a share of what the backend's
// matmul reaches (Kaplan et al. 2020, §2.1; Chowdhery et al. 2022, App. B): a forward pass
// costs 2·N FLOPs per token for N non-embedding weights plus 2·L·S·C for attention scores
// and values (S positions attended); training (forward + backward) costs three times that.
import { type GPT2Config, innerSize } from "./config";

/** Non-embedding matmul weights: per layer c_attn (3C²), c_proj (C²), c_fc and mlp.c_proj (2·C·F). */
export function matmulWeights(c: GPT2Config): number {
  const C = c.n_embd;
  return c.n_layer * (4 * C * C + 2 * C * innerSize(c));
}

/** Forward FLOPs per token attending S positions; with the LM head (V·C) when logits are needed. */
export function forwardFlopsPerToken(c: GPT2Config, S: number, lmHead: boolean): number {
  const attention = 2 * 2 * c.n_layer * S * c.n_embd; // q·kᵀ and att·v
  return 2 * matmulWeights(c) + attention + (lmHead ? 2 * c.vocab_size * c.n_embd : 0);
}

/** Forward + backward. Causal attention over T tokens attends T/2 positions on average. */
export function trainFlopsPerToken(c: GPT2Config, T: number, lmHead: boolean): number {
  return 3 * forwardFlopsPerToken(c, T / 2, lmHead);
}
