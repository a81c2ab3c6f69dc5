// A plain reference GPT-2 forward pass: nested loops over arrays, no tfjs, written from the
// GPT-2 description (Radford et al. 2019) independently of trainer/model/gpt2.ts, so the
// tests can hold the fast path to it.
import type { GPT2Config } from "@/trainer/model/config";

export type Weights = Map<string, Float32Array>;

function get(w: Weights, name: string): Float32Array {
  const t = w.get(name);
  if (!t) throw new Error(`missing ${name}`);
  return t;
}

function layerNorm(x: number[], g: Float32Array, b: Float32Array, eps: number): number[] {
  const n = x.length;
  const mean = x.reduce((a, v) => a + v, 0) / n;
  const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!);
}

/** y = x·W + b with W stored [in, out] row-major (Conv1D). */
function conv1d(x: number[], W: Float32Array, b: Float32Array, nOut: number): number[] {
  const y = Array.from(b);
  for (let i = 0; i < x.length; i++) for (let o = 0; o < nOut; o++) y[o]! += x[i]! * W[i * nOut + o]!;
  return y;
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** Logits [T][V] for one sequence of token ids. */
export function referenceLogits(c: GPT2Config, w: Weights, ids: number[]): number[][] {
  const C = c.n_embd, H = c.n_head, D = C / H, F = c.n_inner ?? 4 * C, V = c.vocab_size;
  const wte = get(w, "transformer.wte.weight"), wpe = get(w, "transformer.wpe.weight");
  let xs = ids.map((id, t) => Array.from({ length: C }, (_, k) => wte[id * C + k]! + wpe[t * C + k]!));
  for (let l = 0; l < c.n_layer; l++) {
    const p = (s: string) => get(w, `transformer.h.${l}.${s}`);
    const qkv = xs.map((x) => conv1d(layerNorm(x, p("ln_1.weight"), p("ln_1.bias"), c.layer_norm_epsilon), p("attn.c_attn.weight"), p("attn.c_attn.bias"), 3 * C));
    const attended = xs.map((_, t) => {
      const out = new Array<number>(C).fill(0);
      for (let h = 0; h < H; h++) {
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += qkv[t]![h * D + d]! * qkv[s]![C + h * D + d]!;
          scores.push(dot / Math.sqrt(D));
        }
        const m = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let s = 0; s <= t; s++) for (let d = 0; d < D; d++) out[h * D + d]! += (e[s]! / z) * qkv[s]![2 * C + h * D + d]!;
      }
      return out;
    });
    xs = xs.map((x, t) => {
      const proj = conv1d(attended[t]!, p("attn.c_proj.weight"), p("attn.c_proj.bias"), C);
      const r = x.map((v, k) => v + proj[k]!);
      const up = conv1d(layerNorm(r, p("ln_2.weight"), p("ln_2.bias"), c.layer_norm_epsilon), p("mlp.c_fc.weight"), p("mlp.c_fc.bias"), F).map(gelu);
      const down = conv1d(up, p("mlp.c_proj.weight"), p("mlp.c_proj.bias"), C);
      return r.map((v, k) => v + down[k]!);
    });
  }
  return xs.map((x) => {
    const h = layerNorm(x, get(w, "transformer.ln_f.weight"), get(w, "transformer.ln_f.bias"), c.layer_norm_epsilon);
    return Array.from({ length: V }, (_, v) => h.reduce((a, hk, k) => a + hk * wte[v * C + k]!, 0));
  });
}
