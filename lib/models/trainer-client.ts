// Calls to a live trainer's HTTP server (trainer/serve/score-server.ts): the web app never
// loads TensorFlow.js, it hands model work to a trainer. Requests are signed with the
// trainer RPC key (internal-auth.ts: TRAINER_RPC_KEY, or derived from NEXTAUTH_SECRET).
import { and, desc, gte, isNotNull, isNull } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { env } from "@/lib/config/env";
import { getDb } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";
import { TRAINER_STALE_MS } from "@/lib/health";
import { signRequest, trainerRpcKey } from "./internal-auth";

/** A live trainer's server URL, freshest first; null when none is running. */
export async function liveTrainerUrl(): Promise<string | null> {
  const [w] = await getDb()
    .select({ url: trainerWorkers.url })
    .from(trainerWorkers)
    .where(and(isNull(trainerWorkers.stoppedAt), isNotNull(trainerWorkers.url), gte(trainerWorkers.lastSeen, new Date(Date.now() - TRAINER_STALE_MS))))
    .orderBy(desc(trainerWorkers.lastSeen))
    .limit(1);
  return w?.url ?? null;
}

/**
 * POSTs a JSON body to a live trainer and returns its JSON answer. 503 `unavailable` when no
 * trainer runs or it does not answer; its 400s stay 400s (the input was wrong), anything
 * else is a 500 that names what failed (`what`).
 */
export async function postToTrainer<T>(path: string, body: unknown, opts: { what: string; timeoutMs: number }): Promise<T> {
  const key = trainerRpcKey(env());
  const url = await liveTrainerUrl();
  if (!url || !key) throw new ApiError("unavailable", `No trainer is running for ${opts.what}; start one (npm start runs it)`);
  let res: Response;
  const target = new URL(`${url}${path}`);
  const json = JSON.stringify(body);
  try {
    res = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json", ...signRequest(key, { method: "POST", path: `${target.pathname}${target.search}`, body: json }) },
      body: json,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    console.error(`[arbiter] ${opts.what}: the trainer did not answer: ${err instanceof Error ? err.message : String(err)}`);
    throw new ApiError("unavailable", `The trainer did not answer for ${opts.what}`);
  }
  const answer = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (res.status === 400) throw new ApiError("invalid_input", `${opts.what} failed: ${answer.error ?? res.status}`);
  if (res.status === 503) throw new ApiError("unavailable", `The trainer is busy with other ${opts.what.toLowerCase()} requests; try again in a moment`);
  if (!res.ok) {
    // the trainer's own errors (paths, tensor shapes) stay in the log
    console.error(`[arbiter] ${opts.what}: trainer answered ${res.status}: ${answer.error ?? ""}`);
    throw new ApiError("internal", `${opts.what} failed on the trainer`);
  }
  return answer;
}
