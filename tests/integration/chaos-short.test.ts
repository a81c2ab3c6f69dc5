// The short variant of `npm run bench:faults` (issue 19): one fault of each kind under a
// small load of simulated annotators that retry as the browser does (same clientId,
// Retry-After, backoff), then bench:faults' own end checks (bench/faults/checks.ts).
//   web      SIGKILL to the web process; the Supervisor of npm start (scripts/supervisor.ts)
//            starts it again. The web process is chaos-web-stand-in.ts, the real route
//            handlers behind node:http, not `next start`: the suite runs before the build.
//   trainer  SIGKILL to the real trainer in a round's reward-model phase; the supervisor
//            restarts it and a trainer's orphan sweep fails the round (TRAINER_STALE_MS and
//            ARBITER_ORPHAN_SWEEP_MS shortened to 3 s and 1 s).
//   database the embedded PostgreSQL stopped (fast shutdown) under load and started again
//            by superviseEmbeddedDatabase, as npm start does. A server of the test's own in a
//            temporary folder: the suite's shared database may be an external one.
//   stall    an ACCESS EXCLUSIVE lock on judgments held 3 s (bench:faults: SIGSTOP for
//            10 s); the web process's statements time out at 1.5 s and answer 503.
//   hang     SIGSTOP to the web process: the supervisor's health watch (webHealthWatch, as
//            npm start sets it, here 2 missed checks of 2.5 s) kills and restarts it.
// Then the load stops, the same annotators finish the project (so no lease outlives the
// test without waiting out the 30 s minimum), and: lost 0, duplicated 0, over redundancy 0,
// dangling leases 0, rounds running 0, artifacts whole.
import { openSync, closeSync, chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acknowledgements, verdict } from "@/bench/faults/checks";
import { createApiToken } from "@/lib/auth/api-tokens";
import { closeDb } from "@/lib/db/client";
import { startEmbeddedPostgres, freePort, type EmbeddedDatabase } from "@/lib/db/embedded";
import { runMigrations } from "@/lib/db/migrate";
import { startRound } from "@/lib/rounds/start-round";
import { stopSender } from "@/lib/rounds/boss";
import { runSimulation, type SimStep } from "@/lib/sim/simulated-annotators";
import { Supervisor, superviseEmbeddedDatabase, webHealthWatch } from "@/scripts/supervisor";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

const root = path.resolve(import.meta.dirname, "..", "..");
const dataDir = mkdtempSync(path.join(tmpdir(), "arbiter-chaos-"));
chmodSync(dataDir, 0o755); // as root the server runs as `postgres` and must reach it
const dataDirBefore = process.env.ARBITER_DATA_DIR;
process.env.ARBITER_DATA_DIR = dataDir; // the trainer's checkpoints, read back by the artifact check
const logFile = path.join(dataDir, "children.log");
const FAST = { initialMs: 200, maxMs: 2_000, resetAfterMs: 60_000 };
const TINY = { nEmbd: 32, nLayer: 1, nHead: 2, nPositions: 128 };

let embedded: EmbeddedDatabase;
let sharedUrl: string | undefined;
let stopping = false;
let outFd: number | undefined;
const said: { at: number; line: string }[] = [];
const supervisor = new Supervisor({ say: (line) => said.push({ at: Date.now(), line }), backoff: FAST });

/** This process's environment without Arbiter's settings, which other test files in this worker may have left set. */
function outsideSettings(): NodeJS.ProcessEnv {
  const ours = /^(ARBITER_|DB_|IMPORT_|JSON_BODY_|SIGNIN_|TRAINER_|NEXTAUTH_|OAUTH_|OIDC_|GITHUB_|ADMIN_|EMBEDDED_PG_|TRUSTED_PROXIES$|DATABASE_URL$|PORT$|HOST$)/;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !ours.test(k))) as NodeJS.ProcessEnv;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = () => `${said.map((s) => s.line).join("\n")}\n--- children ---\n${readFileSync(logFile, "utf8").slice(-6000)}`;

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await sleep(200);
  }
}

const saidSince = (re: RegExp, since: number) => said.some((s) => s.at >= since && re.test(s.line));

async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: embedded.url, connectionTimeoutMillis: 3_000 });
  c.on("error", () => {});
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

beforeAll(async () => {
  embedded = await startEmbeddedPostgres({ dataDir });
  await runMigrations(embedded.url);
  // this file's own database for everything in this process (fixtures, the round's sender)
  await stopSender();
  await closeDb();
  sharedUrl = process.env.DATABASE_URL;
  process.env.DATABASE_URL = embedded.url;
  superviseEmbeddedDatabase(embedded, { say: (line) => said.push({ at: Date.now(), line }), stopping: () => stopping, backoff: FAST });
}, 60_000);

afterAll(async () => {
  stopping = true;
  await supervisor.stop(5_000);
  if (outFd !== undefined) closeSync(outFd);
  await stopSender();
  await closeDb();
  process.env.DATABASE_URL = sharedUrl;
  if (dataDirBefore === undefined) delete process.env.ARBITER_DATA_DIR;
  else process.env.ARBITER_DATA_DIR = dataDirBefore;
  await embedded?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the short chaos run (one fault of each kind)", () => {
  it("loses, duplicates and over-fills nothing, leaves no lease or round behind, and every model file is whole", async () => {
    // the annotation project, its annotators, and a small project for a round
    const project = await aProject({ mode: "pairwise", redundancy: 2, leaseSeconds: 30 });
    await importText(project, ndjson(responseRecords(200, 2, "chaos")));
    const people = await annotators(project, 6);
    const tokens = await Promise.all(people.map(async (u) => (await createApiToken(u.id, "chaos")).token));
    const roundProject = await aProject({ mode: "pairwise", redundancy: 1 });
    const prefs = Array.from({ length: 40 }, (_, i) => ({ prompt: `Help with task ${i}?`, chosen: `Sure, task ${i} done.`, rejected: "No." }));
    await importText(roundProject, ndjson([...prefs, ...prefs.map((p) => ({ prompt: p.prompt, completion: p.chosen }))]));
    await closeDb(); // nothing more from this process's pool until the checks

    // the web process and the trainer under npm start's supervisor
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const out = openSync(logFile, "a");
    const exitWithParent = path.join(root, "scripts", "exit-with-parent.cjs");
    const base = { ...outsideSettings(), DATABASE_URL: embedded.url, ARBITER_DATA_DIR: dataDir, TRAINER_HEARTBEAT_MS: "500", TRAINER_STALE_MS: "3000" };
    supervisor.run({
      name: "web app",
      command: process.execPath,
      args: ["--require", exitWithParent, "--import", "tsx", path.join(root, "tests", "integration", "chaos-web-stand-in.ts")],
      options: { cwd: root, stdio: ["ignore", out, out], env: { ...base, PORT: String(port), DB_STATEMENT_TIMEOUT_MS: "1500", DB_CONNECT_TIMEOUT_MS: "2000" } },
      // longer than health's own 2 s database check, so a database restart is no hang
      health: webHealthWatch({ HOST: "127.0.0.1", PORT: port, ARBITER_WEB_HEALTH_INTERVAL_MS: 300, ARBITER_WEB_HEALTH_TIMEOUT_MS: 2_500, ARBITER_WEB_HEALTH_FAILURES: 2 }, 30_000),
    });
    supervisor.run({
      name: "trainer",
      command: process.execPath,
      args: ["--require", exitWithParent, "--import", "tsx", path.join(root, "trainer", "main.ts")],
      options: { cwd: root, stdio: ["ignore", out, out], env: { ...base, ARBITER_TF_BACKEND: "wasm", ARBITER_AUTO_ROUND_INTERVAL_MS: "0", ARBITER_ORPHAN_SWEEP_MS: "1000", TRAINER_PORT: "0" } },
    });
    outFd = out; // kept open for the restarted children, closed after the supervisor's stop
    const healthy = async () => {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(3_000) });
      return res.status === 200 && ((await res.json()) as { db: string }).db === "ok";
    };
    await until("the web process to serve", healthy, 60_000);

    // the load: six annotators at a quick pace, for the whole run
    const steps: SimStep[] = [];
    const acks = acknowledgements();
    const onStep = (s: SimStep) => {
      steps.push(s);
      acks.onStep(s);
    };
    const stopLoad = new AbortController();
    const load = runSimulation({ url, projectId: project.id, tokens, oracle: "length", noise: 0.1, thinkMs: [300, 900], signal: stopLoad.signal, onStep, seed: 7 });

    // 1. the trainer, SIGKILLed in the middle of a round's reward-model phase
    const round = await startRound({
      projectId: roundProject.id,
      trigger: "admin",
      requestedBy: null,
      overrides: { phases: ["sft", "reward_model"], scratchModel: TINY, sft: { epochs: 1, maxTokens: 96 }, rewardModel: { epochs: 100, patience: 100, batchSize: 8, maxTokens: 96 } },
    });
    await stopSender(); // its connections would only see the database restart below
    await until(
      "the round's reward-model phase",
      async () => {
        const [r] = await query<{ status: string; phase: string | null; n: number }>(
          "select status, phase, (select count(*)::int from round_metrics where round_id = $1 and phase = 'reward_model') as n from rounds where id = $1",
          [round.id],
        );
        if (r?.status === "failed" || r?.status === "succeeded") throw new Error(`round ${r.status} before its reward-model phase\n${log()}`);
        return r?.phase === "reward_model" && r.n >= 1;
      },
      90_000,
    );
    let t0 = Date.now();
    process.kill(supervisor.current("trainer")!.pid!, "SIGKILL");
    await until("the trainer's restart", () => saidSince(/trainer restarted/, t0), 10_000);

    // 2. the web process, SIGKILLed
    t0 = Date.now();
    process.kill(supervisor.current("web app")!.pid!, "SIGKILL");
    await until("the web process back", async () => saidSince(/web app restarted/, t0) && (await healthy()), 60_000);
    const afterWebKill = steps.length;
    await until("judgments after the web kill", () => steps.length > afterWebKill + 3, 30_000);

    // 3. PostgreSQL stopped under load, started again by the supervision npm start uses
    t0 = Date.now();
    process.kill(embedded.pid()!, "SIGINT");
    await until("PostgreSQL back", async () => saidSince(/PostgreSQL restarted/, t0) && (await healthy()), 60_000);
    const afterRestart = steps.length;
    await until("judgments after the database restart", () => steps.length > afterRestart + 3, 30_000);

    // 4. a stall: every statement on judgments waits 3 s (the web process's time out at 1.5 s: 503, retried)
    const locker = new pg.Client({ connectionString: embedded.url });
    await locker.connect();
    await locker.query("begin");
    await locker.query("lock table judgments in access exclusive mode");
    await sleep(3_000);
    await locker.query("commit");
    await locker.end();
    const afterStall = steps.length;
    await until("judgments after the stall", () => steps.length > afterStall + 3, 30_000);

    // 5. the web process hangs (SIGSTOP: connections accepted, nothing answered)
    t0 = Date.now();
    process.kill(supervisor.current("web app")!.pid!, "SIGSTOP");
    await until("the hung web process killed and back", async () => saidSince(/web app did not answer its health check/, t0) && saidSince(/web app restarted/, t0) && (await healthy()), 30_000);
    const afterHang = steps.length;
    await until("judgments after the hang", () => steps.length > afterHang + 3, 30_000);

    // the load stops; the same annotators finish the project (a held lease comes back to its holder first)
    stopLoad.abort();
    const first = await load;
    const drain = await runSimulation({ url, projectId: project.id, tokens, oracle: "length", noise: 0.1, onStep, seed: 8 });
    expect(first.errors + drain.errors, log()).toBe(0);
    await until("the killed trainer's round failed by the sweep", async () => (await query<{ status: string }>("select status from rounds where id = $1", [round.id]))[0]?.status === "failed", 30_000);
    const [ended] = await query<{ error: string }>("select error from rounds where id = $1", [round.id]);
    expect(ended!.error).toMatch(/stopped before it finished/);

    const client = new pg.Client({ connectionString: embedded.url });
    await client.connect();
    try {
      const v = await verdict(client, project.id, acks.acked, acks.conflicting());
      expect(v.acknowledged).toBe(400); // every slot of 200 comparisons × 2, each acknowledged
      expect(v).toMatchObject({ inDatabase: 400, lost: 0, duplicated: 0, overRedundancy: 0, counterMismatch: 0, danglingLeases: 0, roundsRunning: 0, artifactsMissing: 0, artifactsBadSha256: 0 });
      const artifacts = await client.query("select kind from model_artifacts where round_id = $1", [round.id]);
      expect(artifacts.rows.map((r) => r.kind)).toEqual(["sft"]); // the phase it was killed in registered nothing
    } finally {
      await client.end();
    }
    // the faults were felt: some steps went through only on a retry with their clientId
    expect(steps.filter((s) => s.attempts > 1).length, log()).toBeGreaterThan(0);
    expect(said.map((s) => s.line).join("\n")).toMatch(/web app stopped unexpectedly \(killed by SIGKILL\)[\s\S]*PostgreSQL stopped unexpectedly[\s\S]*web app did not answer its health check 2 times in a row/);
    expect(said.filter((s) => /did not answer its health check/.test(s.line))).toHaveLength(1); // the database restart and the stall were no hang
  }, 110_000);
});
