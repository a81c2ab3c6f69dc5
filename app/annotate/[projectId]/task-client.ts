// The browser's side of the task API (API.md): fetch the next task, submit with a stable
// clientId and retries (a retried submit can never make a second judgment), skip, undo.
import { attemptSignal, isRetryableFailure, isRetryableStatus, retryDelayMs } from "@/lib/api/retry-policy";
import type { Message } from "@/lib/db/schema";

export type Task = { comparisonId: string; prompt: Message[]; responses: { id: string; text: string }[]; leaseExpiresAt: string };
export type Verdict = {
  ranking: string[][];
  strength?: number;
  bothBad?: boolean;
  criteria?: Record<string, string[][]>;
  rationale?: string;
  durationMs: number;
};

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    return body.error?.message ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

export async function fetchNext(projectId: string, exclude: string[] = []): Promise<Task | null> {
  const q = exclude.length ? `?exclude=${exclude.join(",")}` : "";
  const res = await fetch(`/api/v1/projects/${projectId}/tasks/next${q}`, { cache: "no-store" });
  if (res.status === 204) return null;
  if (!res.ok) throw new Error(await errorMessage(res));
  return (await res.json()) as Task;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Submits once and returns the judgment id. Network failures and answers that say "not
 * now" (503 with Retry-After while the server is overloaded or its database restarts,
 * other 5xx, 429) are sent again with the same clientId, waiting as the server asks or
 * backing off, for up to `patienceMs`; a refusal (4xx) is final. An attempt unanswered
 * after `attemptTimeoutMs` (10 s) is abandoned and sent again the same way.
 */
export async function submitVerdict(
  comparisonId: string,
  clientId: string,
  verdict: Verdict,
  opts: { origin?: string; patienceMs?: number; attemptTimeoutMs?: number } = {},
): Promise<string> {
  const giveUpAt = Date.now() + (opts.patienceMs ?? 60_000);
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    let retryAfter: string | null = null;
    try {
      const res = await fetch(`${opts.origin ?? ""}/api/v1/judgments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ comparisonId, clientId, ...verdict }),
        signal: attemptSignal(opts.attemptTimeoutMs),
      });
      if (res.ok) return ((await res.json()) as { id: string }).id;
      if (!isRetryableStatus(res.status)) throw new Error(await errorMessage(res)); // the server said no: retrying won't help
      retryAfter = res.headers.get("retry-after");
      lastError = new Error(await errorMessage(res));
    } catch (err) {
      if (!isRetryableFailure(err)) throw err;
      // no answer (a network error or this attempt's timeout): it may or may not have landed; the clientId makes retrying safe
      lastError = err instanceof TypeError ? err : new Error("The server did not answer in time");
    }
    const wait = retryDelayMs(attempt, retryAfter);
    if (Date.now() + wait > giveUpAt) break;
    await sleep(wait);
  }
  throw lastError instanceof Error ? lastError : new Error("Could not reach the server");
}

export async function skipTask(comparisonId: string, reason: string): Promise<void> {
  const res = await fetch(`/api/v1/comparisons/${comparisonId}/skip`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ reason }),
  });
  if (!res.ok) throw new Error(await errorMessage(res));
}

export async function undoJudgment(judgmentId: string): Promise<void> {
  const res = await fetch(`/api/v1/judgments/${judgmentId}`, { method: "DELETE" });
  if (!res.ok) throw new Error(await errorMessage(res));
}
