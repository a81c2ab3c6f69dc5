// Which responses of a prompt are compared with which. Pairwise: every pair for a few
// responses, otherwise a cycle over a shuffled order, so each response (and so each
// source) appears in two pairs rather than the first two responses in every pair.
// k-wise: k-subsets that cover every response. Near-identical responses are never put
// in the same comparison: their verdict would be noise. The shuffle is seeded by the
// responses themselves, so the same input always forms the same comparisons (re-import
// finds them instead of adding new ones).
import { createHash } from "node:crypto";

export type Candidate = { id: string; text: string };

const ALL_PAIRS_UP_TO = 4;
const NEAR_DUPLICATE_JACCARD = 0.9;

function normalize(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

function shingles(words: string[]): Set<string> {
  if (words.length < 2) return new Set(words);
  const out = new Set<string>();
  for (let i = 0; i + 1 < words.length; i++) out.add(`${words[i]} ${words[i + 1]}`);
  return out;
}

/** Same text up to case, spacing and punctuation, or ≥ 90% of word bigrams shared (Jaccard). */
export function areNearDuplicates(a: string, b: string): boolean {
  const na = normalize(a);
  const nb = normalize(b);
  if (na === nb) return true;
  const sa = shingles(na.split(" "));
  const sb = shingles(nb.split(" "));
  let shared = 0;
  for (const s of sa) if (sb.has(s)) shared++;
  return shared / (sa.size + sb.size - shared) >= NEAR_DUPLICATE_JACCARD;
}

function seededOrder<T extends Candidate>(items: T[]): T[] {
  const key = (c: T) => createHash("sha256").update(c.id).digest("hex");
  return [...items].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

export function formPairs(candidates: Candidate[]): [string, string][] {
  const items = seededOrder(candidates);
  const n = items.length;
  const ok = (i: number, j: number) => !areNearDuplicates(items[i]!.text, items[j]!.text);
  const pairs: [string, string][] = [];
  if (n <= ALL_PAIRS_UP_TO) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (ok(i, j)) pairs.push([items[i]!.id, items[j]!.id]);
    return pairs;
  }
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    // Neighbour in the cycle, or the next one along when the neighbour is a near-duplicate.
    for (let step = 1; step < n; step++) {
      const j = (i + step) % n;
      const key = [items[i]!.id, items[j]!.id].sort().join();
      if (ok(i, j) && !seen.has(key)) {
        seen.add(key);
        pairs.push([items[i]!.id, items[j]!.id]);
        break;
      }
    }
  }
  return pairs;
}

export function formKSubsets(candidates: Candidate[], k: number): string[][] {
  const items = seededOrder(candidates);
  const covered = new Set<string>();
  const sets: string[][] = [];
  const fits = (set: Candidate[], c: Candidate) => !set.some((s) => s.id === c.id || areNearDuplicates(s.text, c.text));
  while (items.some((c) => !covered.has(c.id))) {
    const set: Candidate[] = [];
    for (const c of items) if (set.length < k && !covered.has(c.id) && fits(set, c)) set.push(c);
    for (const c of items) if (set.length < k && fits(set, c)) set.push(c); // top up with covered ones
    if (set.length < 2) break; // what is left only has near-duplicates to be compared with
    set.forEach((c) => covered.add(c.id));
    sets.push(set.map((c) => c.id));
  }
  return sets;
}

/** Canonical key of a response set: the same responses are one comparison per project. */
export function responseKey(responseIds: string[]): string {
  return [...responseIds].sort().join(",");
}
