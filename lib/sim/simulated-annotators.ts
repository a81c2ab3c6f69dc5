// `arbiter sim`: simulated annotators that judge through the HTTP API (API.md), for demos,
// load and benchmarks. Each has its own account and token; they work in parallel until
// tasks/next has nothing left for them, choosing by an oracle with some noise.
import { randomUUID } from "node:crypto";
import { mulberry32 } from "@/lib/bt/bootstrap";
import { DEMO_TASK, oracleScore } from "@/lib/demo/number-words";

/** `larger-number`: the demo task's hidden oracle (lib/demo), best answer first, equal scores tied at random. */
export type Oracle = "length" | "random" | "source-order" | typeof DEMO_TASK;
export const ORACLES: Oracle[] = ["length", "random", "source-order", DEMO_TASK];

type Task = { comparisonId: string; prompt?: { role: string; content: string }[]; responses: { id: string; text: string }[] };

export type SimOptions = {
  url: string;
  projectId: string;
  /** one bearer token per simulated annotator */
  tokens: string[];
  oracle: Oracle;
  /** probability that an annotator answers at random instead of by the oracle */
  noise: number;
  seed?: number;
  maxJudgments?: number;
  log?: (line: string) => void;
};

/** Best first by the oracle: longer answers, a random order, or the order received. */
export function oracleRanking(task: Task, oracle: Oracle, rand: () => number): string[][] {
  const ids = task.responses.map((r) => r.id);
  if (oracle === "length") {
    return [...task.responses].sort((a, b) => b.text.length - a.text.length).map((r) => [r.id]);
  }
  if (oracle === "random") return shuffle(ids, rand).map((id) => [id]);
  if (oracle === DEMO_TASK) {
    const prompt = (task.prompt ?? []).map((m) => m.content).join("\n");
    // a random order first, so a stable sort leaves answers of equal score in random order
    return shuffle(task.responses, rand)
      .map((r) => ({ id: r.id, score: oracleScore(prompt, r.text) }))
      .sort((a, b) => b.score - a.score)
      .map((r) => [r.id]);
  }
  return ids.map((id) => [id]);
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function runSimulation(opts: SimOptions): Promise<{ judgments: number; errors: number }> {
  let judgments = 0;
  let errors = 0;
  const rand = mulberry32(opts.seed ?? 1);
  const headers = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
  // "Nothing for you" can be for a moment only: the last open slots may be leased by other
  // simulated annotators about to submit (or skip), so an annotator asks again a few times
  // before it stops, or a project could end one judgment short.
  const nextTask = async (token: string): Promise<Response | null> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${opts.url}/api/v1/projects/${opts.projectId}/tasks/next`, { headers: headers(token) });
      if (res.status !== 204) return res;
      if (attempt >= 4) return null;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
  };
  await Promise.all(
    opts.tokens.map(async (token) => {
      for (;;) {
        if (opts.maxJudgments !== undefined && judgments >= opts.maxJudgments) return;
        const res = await nextTask(token);
        if (res === null) return;
        if (!res.ok) throw new Error(`tasks/next: ${res.status} ${await res.text()}`);
        const task = (await res.json()) as Task;
        const ranking = rand() < opts.noise ? oracleRanking(task, "random", rand) : oracleRanking(task, opts.oracle, rand);
        const submit = await fetch(`${opts.url}/api/v1/comparisons/${task.comparisonId}/judgments`, {
          method: "POST",
          headers: headers(token),
          body: JSON.stringify({ clientId: randomUUID(), ranking, durationMs: Math.round(2000 + rand() * 8000) }),
        });
        if (submit.ok) judgments++;
        else {
          errors++;
          opts.log?.(`submit ${submit.status}: ${await submit.text()}`);
        }
      }
    }),
  );
  return { judgments, errors };
}
