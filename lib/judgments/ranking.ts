// A ranking is a list of tie groups of response ids, best first: [[b], [a, c]] means b is
// best and a and c share second place. Valid when it places every response of the
// comparison exactly once.
import { z } from "zod";

export const rankingSchema = z.array(z.array(z.uuid()).min(1, "a tie group cannot be empty")).min(1);
export type Ranking = z.infer<typeof rankingSchema>;

export function rankingProblem(ranking: Ranking, responseIds: readonly string[], opts: { allowTies: boolean }): string | null {
  const expected = new Set(responseIds);
  const seen = new Set<string>();
  for (const group of ranking) {
    for (const id of group) {
      if (!expected.has(id)) return `response ${id} is not part of this comparison`;
      if (seen.has(id)) return `response ${id} appears more than once`;
      seen.add(id);
    }
  }
  if (seen.size !== expected.size) return `the ranking must place all ${expected.size} responses (it places ${seen.size})`;
  if (!opts.allowTies && ranking.some((g) => g.length > 1)) return "this project does not allow ties";
  return null;
}
