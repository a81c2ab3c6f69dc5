import { randomInt } from "node:crypto";

/** Fisher–Yates: a uniformly random display order per annotator (position bias stays measurable). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
