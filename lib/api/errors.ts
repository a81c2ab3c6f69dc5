// One error shape for the whole HTTP API (API.md):
// { "error": { "code": "forbidden", "message": "...", "details"?: ... } } with the matching status.
import { ZodError } from "zod";
import { isDatabaseUnavailable } from "@/lib/db/unavailable";

export const ERROR_STATUS = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** sent as Retry-After: when a client should try again (503, 429) */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export function errorResponse(code: ErrorCode, message: string, details?: unknown, retryAfterSeconds?: number): Response {
  const headers = retryAfterSeconds === undefined ? undefined : { "retry-after": String(retryAfterSeconds) };
  return Response.json({ error: { code, message, ...(details === undefined ? {} : { details }) } }, { status: ERROR_STATUS[code], headers });
}

/** Maps anything a handler throws to the API's error shape; unexpected errors are logged, not leaked. */
export function toErrorResponse(err: unknown): Response {
  if (err instanceof ApiError) return errorResponse(err.code, err.message, err.details, err.retryAfterSeconds);
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    return errorResponse("invalid_input", details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; "), details);
  }
  if (isDatabaseUnavailable(err)) {
    // down, restarting, saturated, or a statement past its timeout: the client got no success,
    // and a retry is safe (a submit's clientId returns the judgment if it did commit)
    console.error(`[api] database unavailable: ${(err as Error).message}`);
    return errorResponse("unavailable", "The database is unavailable or busy; try again shortly", undefined, 1);
  }
  console.error("[api] unexpected error:", err);
  return errorResponse("internal", "Internal error");
}
