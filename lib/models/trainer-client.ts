// Calls to a live trainer's HTTP server (trainer/serve/score-server.ts): the web app never
// loads TensorFlow.js, it hands model work to a trainer. Requests are signed with the
// trainer RPC key (internal-auth.ts: TRAINER_RPC_KEY, or derived from NEXTAUTH_SECRET).
//
// With several trainers, possibly on machines that do not share a checkpoint folder, a
// request for a model goes first to the live trainers whose heartbeat says they hold it
// loaded, then to the others, freshest first. The next one is asked when a trainer cannot
// be reached, answers `model_not_here` (the files are not on its machine) or is busy; a
// trainer that took the request and then timed out is not (it may still be working, and
// a second would double the wait).
import { and, desc, gte, isNotNull, isNull, sql } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { env } from "@/lib/config/env";
import { getDb } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";
import { trainerStaleMs } from "@/lib/health";
import { signRequest, trainerRpcKey } from "./internal-auth";
import { MODEL_NOT_HERE } from "./trainer-answers";

/** Trainers asked for one request at most: a bound on its time when many are registered but unreachable. */
const MAX_TRAINERS_TRIED = 8;

export type LiveTrainer = { id: string; url: string; hasModel: boolean };

/** Live trainers with a server, those holding `artifactPath` loaded first, then freshest first. */
export async function liveTrainersFor(artifactPath: string): Promise<LiveTrainer[]> {
  const hasModel = sql<boolean>`${artifactPath} = any(${trainerWorkers.loadedModels})`;
  const rows = await getDb()
    .select({ id: trainerWorkers.id, url: trainerWorkers.url, hasModel })
    .from(trainerWorkers)
    .where(and(isNull(trainerWorkers.stoppedAt), isNotNull(trainerWorkers.url), gte(trainerWorkers.lastSeen, new Date(Date.now() - trainerStaleMs()))))
    .orderBy(desc(hasModel), desc(trainerWorkers.lastSeen))
    .limit(MAX_TRAINERS_TRIED);
  return rows.map((r) => ({ id: r.id, url: r.url!, hasModel: r.hasModel }));
}

type Attempt = { ok: true; status: number; answer: Record<string, unknown> } | { ok: false; why: "unreachable" | "timeout" };

async function ask(url: string, key: string, path: string, json: string, timeoutMs: number): Promise<Attempt> {
  const target = new URL(`${url}${path}`);
  try {
    const res = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json", ...signRequest(key, { trainerUrl: url, method: "POST", path: `${target.pathname}${target.search}`, body: json }) },
      body: json,
      // a redirect would carry the signed request (and its body) to wherever the answer
      // points; a trainer never redirects, so one is a failure to reach it
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { ok: true, status: res.status, answer: ((await res.json().catch(() => ({}))) ?? {}) as Record<string, unknown> };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    console.error(`[arbiter] trainer ${url}${path} did not answer: ${err instanceof Error ? err.message : String(err)}`);
    return { ok: false, why: timedOut ? "timeout" : "unreachable" };
  }
}

/**
 * POSTs a JSON body about one model (`artifactPath`) to a live trainer that can serve it
 * and returns its JSON answer. 503 `unavailable` when no trainer runs, none answers, none
 * has the model's files, or every one is busy; a trainer's 400s stay 400s (the input was
 * wrong), anything else is a 500 that names what failed (`what`).
 */
export async function postToTrainer<T>(path: string, body: { artifactPath: string } & Record<string, unknown>, opts: { what: string; timeoutMs: number }): Promise<T> {
  const key = trainerRpcKey(env());
  const trainers = key ? await liveTrainersFor(body.artifactPath) : [];
  if (!key || trainers.length === 0) throw new ApiError("unavailable", `No trainer is running for ${opts.what}; start one (npm start runs it)`);
  const json = JSON.stringify(body);
  const seen = { unreachable: 0, notHere: 0, busy: 0 };
  for (const trainer of trainers) {
    const attempt = await ask(trainer.url, key, path, json, opts.timeoutMs);
    if (!attempt.ok) {
      if (attempt.why === "timeout") throw new ApiError("unavailable", `The trainer did not answer for ${opts.what}`);
      seen.unreachable++;
      continue;
    }
    const { status, answer } = attempt;
    if (status === 404 && answer.code === MODEL_NOT_HERE) {
      seen.notHere++;
      continue;
    }
    if (status === 503) {
      seen.busy++;
      continue;
    }
    if (status === 400) throw new ApiError("invalid_input", `${opts.what} failed: ${typeof answer.error === "string" ? answer.error : status}`);
    if (status < 200 || status >= 300) {
      // the trainer's own errors (paths, tensor shapes) stay in the log
      console.error(`[arbiter] ${opts.what}: trainer ${trainer.url} answered ${status}: ${typeof answer.error === "string" ? answer.error : ""}`);
      throw new ApiError("internal", `${opts.what} failed on the trainer`);
    }
    return answer as T;
  }
  if (seen.busy > 0) throw new ApiError("unavailable", `The trainer is busy with other ${opts.what.toLowerCase()} requests; try again in a moment`);
  if (seen.notHere > 0) {
    throw new ApiError("unavailable", `No live trainer has this model's files for ${opts.what} (${body.artifactPath}); run a trainer on the machine that trained it, or share the checkpoint folder between trainers`);
  }
  throw new ApiError("unavailable", `The trainer did not answer for ${opts.what}`);
}
