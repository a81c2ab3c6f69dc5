// When a client should send a request again, and after how long: shared by the browser's
// submit (app/annotate/[projectId]/task-client.ts) and the simulated annotators (lib/sim).
// Safe for submits because the same clientId never makes a second judgment (API.md).

/** The server could not do it now (5xx: unavailable, overloaded, restarting, a proxy without a backend) or asked the client to slow down (429). */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/**
 * Longest one attempt may go unanswered before it is abandoned and sent again (same
 * clientId): a stalled database or a dead connection would otherwise hold it for as long
 * as the stall lasts. Well above a healthy submit (milliseconds), below the requests'
 * statement timeout (DB_STATEMENT_TIMEOUT_MS, 30 s).
 */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** The signal one attempt runs under: it aborts with a TimeoutError after `timeoutMs`. */
export function attemptSignal(timeoutMs: number = ATTEMPT_TIMEOUT_MS): AbortSignal {
  return AbortSignal.timeout(timeoutMs);
}

/**
 * Whether a failed attempt may be sent again: a network failure (fetch's TypeError) or
 * the attempt's own timeout, after which the request may or may not have landed (the
 * clientId makes sending it again safe). Anything else (a refusal, a bug) is final.
 */
export function isRetryableFailure(err: unknown): boolean {
  if (err instanceof TypeError) return true;
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "TimeoutError";
}

/** Longest wait a server's Retry-After may impose on one attempt. */
const MAX_WAIT_MS = 30_000;
/** Shortest wait, whatever Retry-After says: `0` or a date already past would make a hot loop of retries. */
export const MIN_WAIT_MS = 250;

/**
 * Milliseconds to wait before the attempt after `attempt` (0-based): the server's
 * Retry-After (seconds or an HTTP date; at least 250 ms, so 0 or a past date is no hot loop)
 * when it sent one, else 300 ms doubling up to 10 s;
 * either spread by up to a fifth at random so that clients turned away together do not
 * all come back in the same instant.
 */
export function retryDelayMs(attempt: number, retryAfter: string | null = null, rand: () => number = Math.random): number {
  const asked = parseRetryAfter(retryAfter);
  const base = Math.max(MIN_WAIT_MS, asked ?? Math.min(10_000, 300 * 2 ** attempt));
  return Math.min(MAX_WAIT_MS, Math.round(base * (1 + 0.2 * rand())));
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
