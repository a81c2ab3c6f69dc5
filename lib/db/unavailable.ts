// Errors that mean "the database cannot serve this now" rather than "this request is
// wrong": it is down or restarting, the pool had no connection to give within
// DB_CONNECT_TIMEOUT_MS, or a statement ran past its timeout. The API answers them 503
// with Retry-After (lib/api/errors.ts); a client that retries (a submit with the same
// clientId) gets the answer it would have had.

/** SQLSTATEs: query_canceled (statement timeout), admin/crash shutdown, cannot connect now, too many connections. */
const UNAVAILABLE_CODES = new Set(["57014", "57P01", "57P02", "57P03", "53300"]);
/** Node's socket errors when the server is not there. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"]);
/** node-postgres and pg-pool say these in words only. */
const MESSAGES = [
  "timeout exceeded when trying to connect", // pg-pool: no connection free within the timeout
  "Connection terminated", // … unexpectedly (server gone), … due to connection timeout
  "Client has encountered a connection error and is not queryable",
];

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || SOCKET_CODES.has(code) || code.startsWith("08"))) return true;
  if (MESSAGES.some((m) => err.message.startsWith(m))) return true;
  // Node wraps a refused connection to every address of a host name in an AggregateError
  if (err instanceof AggregateError) return err.errors.some(isDatabaseUnavailable);
  return false;
}
