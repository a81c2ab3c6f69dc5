// The trainer worker: connects to the database, loads a TensorFlow.js backend, reports a
// heartbeat, starts the rounds that projects' thresholds call for, and works round jobs
// from the queue until SIGINT/SIGTERM.
import PgBoss from "pg-boss";
import { env } from "@/lib/config/env";
import { trainerRpcKey } from "@/lib/models/internal-auth";
import { closeDb, getDb, usePoolFor } from "@/lib/db/client";
import { startRoundsDueToThreshold } from "@/lib/rounds/auto-trigger";
import { stopSender } from "@/lib/rounds/boss";
import { ROUND_QUEUE, type RoundJob } from "@/lib/rounds/queue";
import pkg from "@/package.json" with { type: "json" };
import { selectBackend } from "./tf/backend";
import { failOrphanedRounds, failRoundsOfStoppingWorker } from "./rounds/orphaned-rounds";
import { runRound } from "./rounds/run-round";
import { startScoreServer } from "./serve/score-server";
import { registerWorker } from "./worker-registry";

const log = (line: string) => console.log(`[trainer] ${line}`);

/**
 * How long a stop waits for the queue's handlers, well inside the supervisor's grace
 * before SIGKILL (CHILD_GRACE_MS, 10 s, scripts/start.ts): the round is already failed
 * and the worker marked stopped by then, so what is cut short records nothing.
 */
const QUEUE_STOP_WAIT_MS = 4_000;

async function main(): Promise<void> {
  const config = env();
  if (!config.DATABASE_URL) throw new Error("DATABASE_URL is not set (npm start sets it; `npm run trainer` needs it)");
  // a round reads a project's judgments and demonstrations whole: not a request's 30 s limit
  usePoolFor("long");

  const backend = await selectBackend(config.ARBITER_TF_BACKEND, log);
  log(`TensorFlow.js backend: ${backend.description}`);

  // Reward scores for the web app; it needs the key both processes share (TRAINER_RPC_KEY,
  // which npm start derives; NEXTAUTH_SECRET also works but gives this process more than it needs).
  const key = trainerRpcKey(config);
  if (config.NEXTAUTH_SECRET) log("NEXTAUTH_SECRET is set here: give the trainer TRAINER_RPC_KEY instead (docs/SECURITY.md); it needs no more");
  let reportModels = () => {}; // the heartbeat's, once registered
  const scorer = key
    ? await startScoreServer({ key, host: config.TRAINER_HOST, port: config.TRAINER_PORT, publicUrl: config.TRAINER_PUBLIC_URL, log, onModelsChanged: () => reportModels() })
    : null;
  if (scorer) log(`scoring server on ${scorer.url}`);
  else log("TRAINER_RPC_KEY is not set: no scoring server (reward scores will not show in the web app)");

  const db = getDb();
  const worker = await registerWorker(db, {
    backend: backend.description,
    version: pkg.version,
    url: scorer?.url ?? null,
    loadedModels: scorer ? () => scorer.loaded() : undefined,
    heartbeatMs: config.TRAINER_HEARTBEAT_MS,
    onError: (err) => log(`heartbeat failed: ${err instanceof Error ? err.message : String(err)}`),
  });
  reportModels = () => void worker.beat();

  const boss = new PgBoss({ connectionString: config.DATABASE_URL, max: 2 });
  boss.on("error", (err) => log(`queue error: ${err.message}`));
  await boss.start();
  await boss.createQueue(ROUND_QUEUE);
  await boss.work<RoundJob>(ROUND_QUEUE, async (jobs) => {
    for (const job of jobs) await runRound(db, job.data, { workerId: worker.id, backend: backend.description, print: log });
  });
  log(`worker ${worker.id} ready, waiting for round jobs`);

  const sweep = () =>
    failOrphanedRounds(db)
      .then((n) => n && log(`marked ${n} round(s) failed whose trainer had stopped`))
      .catch((err) => log(`orphaned-round sweep failed: ${err instanceof Error ? err.message : String(err)}`));
  await sweep();
  const sweeper = setInterval(sweep, config.ARBITER_ORPHAN_SWEEP_MS);

  // Every trainer checks; the advisory lock inside lets one start each round.
  let checking = false;
  const autoRounds = async () => {
    if (checking) return; // a slow check is not stacked on by the next tick
    checking = true;
    try {
      for (const r of await startRoundsDueToThreshold({ log })) log(`round ${r.number} of project ${r.projectId} started: its judgment threshold was reached`);
    } catch (err) {
      log(`auto-round check failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      checking = false;
    }
  };
  const autoRounder = config.ARBITER_AUTO_ROUND_INTERVAL_MS > 0 ? setInterval(autoRounds, config.ARBITER_AUTO_ROUND_INTERVAL_MS) : undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    clearInterval(sweeper);
    clearInterval(autoRounder);
    // first what must be recorded (the supervisor may SIGKILL after its grace): this
    // worker's round fails with a reason, and the worker is marked stopped
    await failRoundsOfStoppingWorker(db, worker.id)
      .then((n) => n && log(`marked ${n} running round(s) failed: ${signal} stopped this trainer`))
      .catch((err) => log(`could not fail this trainer's round: ${err instanceof Error ? err.message : String(err)}`));
    await worker.stop().catch(() => {});
    await boss.stop({ graceful: true, wait: true, timeout: QUEUE_STOP_WAIT_MS }).catch(() => {});
    await stopSender().catch(() => {}); // startRound's queue handle, opened by the first auto round
    await scorer?.close();
    await closeDb();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  console.error(`[trainer] fatal: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
