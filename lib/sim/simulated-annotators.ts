// `arbiter sim`: simulated annotators that judge through the HTTP API (API.md), for demos,
// load and benchmarks. Each has its own account and token; they work in parallel until
// tasks/next has nothing left for them, choosing by an oracle with some noise. Like the
// annotator's screen they submit with a fresh clientId and send it again after a network
// failure or a 5xx/429, as Retry-After asks (bench:faults counts on it); optionally at a
// person's pace.
import { randomUUID } from "node:crypto";
import { attemptSignal, isRetryableStatus, retryDelayMs } from "@/lib/api/retry-policy";
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
  /** a person's pace: each verdict comes after a pause drawn uniformly from [min, max] ms; default none (as fast as answers come) */
  thinkMs?: [number, number];
  /** no new steps once aborted (a step under way finishes, or gives up) */
  signal?: AbortSignal;
  /** called with every acknowledged judgment */
  onStep?: (step: SimStep) => void;
  /** how long one request is retried (network errors, timeouts, 5xx, 429) before the annotator gives up on it; default 60 s */
  patienceMs?: number;
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

/** One acknowledged judgment: which annotator, when its first attempt went out, how long until the answer, how many attempts. */
export type SimStep = {
  annotator: number;
  comparisonId: string;
  clientId: string;
  judgmentId: string;
  startedAt: number;
  ms: number;
  attempts: number;
  /** 201 (new) rather than 200 (a retry that found its first write) */
  created: boolean;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Sends a request again after a network failure, a timeout or a "not now" answer (5xx,
 * 429), waiting as Retry-After asks or backing off, as the annotator's browser does
 * (lib/api/retry-policy.ts), for up to `patienceMs`. Returns the last answer, or none.
 */
export async function fetchRetrying(url: string, init: RequestInit, patienceMs: number): Promise<{ res: Response | null; body: string; attempts: number }> {
  const giveUpAt = Date.now() + patienceMs;
  let last: { res: Response; body: string } | null = null;
  for (let attempt = 0; ; attempt++) {
    let retryAfter: string | null = null;
    try {
      const res = await fetch(url, { ...init, signal: attemptSignal() });
      // the body is part of the answer: a connection cut while it arrives ("terminated") is
      // no answer, as the browser's submit treats it, and the request is sent again
      const body = await res.text();
      if (!isRetryableStatus(res.status)) return { res, body, attempts: attempt + 1 };
      retryAfter = res.headers.get("retry-after");
      last = { res, body };
    } catch {
      /* network error or timeout: the request may or may not have landed; sending it again is safe */
    }
    const wait = retryDelayMs(attempt, retryAfter);
    if (Date.now() + wait > giveUpAt) return { res: last?.res ?? null, body: last?.body ?? "", attempts: attempt + 1 };
    await sleep(wait);
  }
}

export async function runSimulation(opts: SimOptions): Promise<{ judgments: number; errors: number }> {
  let judgments = 0;
  let errors = 0;
  const rand = mulberry32(opts.seed ?? 1);
  const patience = opts.patienceMs ?? 60_000;
  const headers = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
  const stopped = () => opts.signal?.aborted === true || (opts.maxJudgments !== undefined && judgments >= opts.maxJudgments);
  // "Nothing for you" can be for a moment only: the last open slots may be leased by other
  // simulated annotators about to submit (or skip), so an annotator asks again a few times
  // before it stops, or a project could end one judgment short.
  const nextTask = async (token: string): Promise<Task | null> => {
    for (let attempt = 0; ; attempt++) {
      const { res, body } = await fetchRetrying(`${opts.url}/api/v1/projects/${opts.projectId}/tasks/next`, { headers: headers(token) }, patience);
      if (!res) throw new Error("tasks/next: no answer");
      if (res.status !== 204) {
        if (!res.ok) throw new Error(`tasks/next: ${res.status} ${body}`);
        return JSON.parse(body) as Task;
      }
      if (attempt >= 4 || stopped()) return null;
      await sleep(100 * (attempt + 1));
    }
  };
  const think = () => (opts.thinkMs ? sleep(opts.thinkMs[0] + rand() * (opts.thinkMs[1] - opts.thinkMs[0])) : Promise.resolve());
  await Promise.all(
    opts.tokens.map(async (token, annotator) => {
      let task = await nextTask(token);
      while (task && !stopped()) {
        await think();
        if (opts.signal?.aborted) return;
        const ranking = rand() < opts.noise ? oracleRanking(task, "random", rand) : oracleRanking(task, opts.oracle, rand);
        const clientId = randomUUID();
        const startedAt = Date.now();
        // the annotator's step as one request: the verdict, and the next task leased in its transaction
        const { res, body: answer, attempts } = await fetchRetrying(
          `${opts.url}/api/v1/judgments?next=1`,
          { method: "POST", headers: headers(token), body: JSON.stringify({ comparisonId: task.comparisonId, clientId, ranking, durationMs: Math.round(2000 + rand() * 8000) }) },
          patience,
        );
        if (res?.ok) {
          const body = JSON.parse(answer) as { id: string; next: Task | null };
          judgments++;
          opts.onStep?.({ annotator, comparisonId: task.comparisonId, clientId, judgmentId: body.id, startedAt, ms: Date.now() - startedAt, attempts, created: res.status === 201 });
          task = body.next ?? (stopped() ? null : await nextTask(token));
        } else {
          errors++;
          opts.log?.(`submit ${res ? `${res.status}: ${answer}` : `gave up after ${attempts} attempts`}`);
          task = stopped() ? null : await nextTask(token);
        }
      }
    }),
  );
  return { judgments, errors };
}
