// `npm run bench:faults`: a bounded chaos run on loopback. The platform starts as `npm start`
// starts it (bench/faults/platform.ts), 200 simulated annotators judge at a person's pace
// (lib/sim, 3–9 s a verdict, retrying as the browser does: same clientId, Retry-After,
// backoff), and in turn, each with 20 s of steady load before it and 30 s after recovery:
//   burst             32 more annotators in a closed loop for 20 s
//   kill-web ×3       SIGKILL to the web process (the start script's supervisor restarts it)
//   kill-trainer-rm   SIGKILL to the trainer in the middle of a round's reward-model phase
//   restart-postgres  the embedded PostgreSQL stopped (fast shutdown) under load; the
//                     supervisor starts it again on the same port
//   kill-trainer-ppo  SIGKILL to the trainer in the middle of a round's PPO phase
//   stall-postgres    SIGSTOP to the postmaster and every backend for 10 s, then SIGCONT
// Then the load stops, leases expire, orphaned rounds are swept, and bench/faults/checks.ts
// reads the database. One JSON line per figure: per fault the p99 step latency (first
// attempt to acknowledgement) before, during and after, and seconds to recover; at the end
// acknowledged, in database, lost, duplicated, over redundancy, dangling leases, rounds left
// running, artifacts missing or with a bad SHA-256, and the seconds SIGTERM took.
//
// BENCH_FAULTS_ANNOTATORS (200), BENCH_FAULTS_EVENTS (all, comma separated names),
// BENCH_FAULTS_BEFORE_S / _AFTER_S / _BURST_S (20 / 30 / 20), BENCH_FAULTS_DEV=1 (next dev:
// no production build), BENCH_PLATFORM_LOG=1 (the platform's log), BENCH_FAULTS_KEEP=1.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { createApiToken } from "@/lib/auth/api-tokens";
import { closeDb, getDb } from "@/lib/db/client";
import { startEmbeddedPostgres, freePort } from "@/lib/db/embedded";
import { users } from "@/lib/db/schema";
import { runSimulation, type SimStep } from "@/lib/sim/simulated-annotators";
import { acknowledgements, verdict } from "./faults/checks";
import { FaultPlatform } from "./faults/platform";
import { percentile, report } from "./harness";

const ANNOTATORS = Number(process.env.BENCH_FAULTS_ANNOTATORS ?? 200);
const BURST_CLIENTS = 32;
const BURST_S = Number(process.env.BENCH_FAULTS_BURST_S ?? 20);
const BEFORE_S = Number(process.env.BENCH_FAULTS_BEFORE_S ?? 20);
const AFTER_S = Number(process.env.BENCH_FAULTS_AFTER_S ?? 30);
const STALL_S = 10;
const THINK_MS: [number, number] = [3_000, 9_000];
const LEASE_S = 60;
/** A tiny model, so the rounds reach the phase to kill in seconds (tests/integration/trainer-kill.test.ts). */
const TINY = { nEmbd: 32, nLayer: 1, nHead: 2, nPositions: 128 };

const ALL_EVENTS = ["burst", "kill-web-1", "kill-trainer-rm", "kill-web-2", "restart-postgres", "kill-trainer-ppo", "stall-postgres", "kill-web-3"] as const;
type EventName = (typeof ALL_EVENTS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.error(`[faults] ${line}`);

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function health(url: string): Promise<{ http: number; db?: string; trainer?: { alive: boolean } } | null> {
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(3_000) });
    return { ...((await res.json()) as { db: string; trainer: { alive: boolean } }), http: res.status };
  } catch {
    return null;
  }
}

async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": typeof body === "string" ? "application/x-ndjson" : "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function makeProject(url: string, token: string, body: Record<string, unknown>, records: unknown[]): Promise<string> {
  const created = await api(url, token, "POST", "/api/v1/projects", body);
  if (created.status !== 201) throw new Error(`create project: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const imported = await api(url, token, "POST", `/api/v1/projects/${id}/import`, records.map((r) => JSON.stringify(r)).join("\n"));
  if (imported.status !== 201) throw new Error(`import: ${imported.status} ${await imported.text()}`);
  return id;
}

async function makeAnnotators(n: number, label: string): Promise<{ email: string; token: string }[]> {
  const rows = await getDb()
    .insert(users)
    .values(Array.from({ length: n }, (_, i) => ({ email: `${label}-${i}-${randomUUID().slice(0, 6)}@faults.local`, role: "annotator" as const })))
    .returning({ id: users.id, email: users.email });
  return Promise.all(rows.map(async (u) => ({ email: u.email, token: (await createApiToken(u.id, "faults")).token })));
}

type Window = { from: number; to: number };
type EventRecord = { name: EventName; at: number; recovered: number; windows: { before: Window; during: Window; after: Window } };

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_FAULTS_EVENTS?.split(",") ?? ALL_EVENTS) as EventName[];
  const platform = new FaultPlatform(await freePort(), {
    dev: process.env.BENCH_FAULTS_DEV === "1",
    env: { ARBITER_AUTO_ROUND_INTERVAL_MS: "0", TRAINER_HEARTBEAT_MS: "1000", NEXT_TELEMETRY_DISABLED: "1" },
  });
  log(`starting the platform (${platform.url}, data in ${platform.dataDir})`);
  await platform.start();
  process.env.ARBITER_DATA_DIR = platform.dataDir;
  const embedded = await startEmbeddedPostgres({ dataDir: platform.dataDir }); // attaches to the running server
  process.env.DATABASE_URL = embedded.url;
  const steps: SimStep[] = [];
  const acks = acknowledgements();
  const onStep = (s: SimStep) => {
    steps.push(s);
    acks.onStep(s);
  };
  const events: EventRecord[] = [];
  const stopLoad = new AbortController();
  let stopSeconds = 0;
  let projectId = "";
  try {
    // 1. an admin, the annotators, an annotation project, and two small projects for rounds
    const [admin] = await getDb().insert(users).values({ email: `faults-admin-${randomUUID().slice(0, 6)}@faults.local`, role: "admin" }).returning();
    const adminToken = (await createApiToken(admin!.id, "faults")).token;
    const people = await makeAnnotators(ANNOTATORS + BURST_CLIENTS, "ann");
    const prompts = Math.max(2_000, ANNOTATORS * 50);
    projectId = await makeProject(
      platform.url,
      adminToken,
      { name: "faults", mode: "pairwise", redundancy: 3, leaseSeconds: LEASE_S },
      Array.from({ length: prompts }, (_, i) => ({ prompt: `Question ${i}: which answer is better?`, responses: [{ text: `Short answer ${i}.`, source: "a" }, { text: `A longer, rather different answer to question ${i}.`, source: "b" }] })),
    );
    for (let i = 0; i < people.length; i += 500) {
      const res = await api(platform.url, adminToken, "POST", `/api/v1/projects/${projectId}/members`, { emails: people.slice(i, i + 500).map((p) => p.email) });
      if (!res.ok) throw new Error(`members: ${res.status}`);
    }
    const roundRecords = Array.from({ length: 40 }, (_, i) => ({ prompt: `Help with task ${i}?`, chosen: `Sure, task ${i} done.`, rejected: "No." }));
    const roundProject = (name: string) => makeProject(platform.url, adminToken, { name, mode: "pairwise" }, [...roundRecords, ...roundRecords.map((r) => ({ prompt: r.prompt, completion: r.chosen }))]);
    const rmProject = await roundProject("faults-rm");
    const ppoProject = await roundProject("faults-ppo");
    log(`${people.length} annotators, ${prompts} comparisons of redundancy 3; load starts`);

    // 2. the load: 200 at a person's pace for the whole run
    const tokens = people.map((p) => p.token);
    const human = runSimulation({ url: platform.url, projectId, tokens: tokens.slice(0, ANNOTATORS), oracle: "length", noise: 0.1, thinkMs: THINK_MS, signal: stopLoad.signal, onStep, seed: 7 });
    const pg1 = () => new pg.Client({ connectionString: embedded.url, connectionTimeoutMillis: 5_000 });
    const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => {
      const c = pg1();
      await c.connect();
      try {
        return (await c.query<T>(text, values)).rows;
      } finally {
        await c.end().catch(() => {});
      }
    };
    const healthy = async () => {
      const h = await health(platform.url);
      return h?.http === 200 && h.db === "ok";
    };
    const startRound = async (project: string, overrides: Record<string, unknown>): Promise<string> => {
      const res = await api(platform.url, adminToken, "POST", `/api/v1/projects/${project}/rounds`, overrides);
      if (res.status !== 201) throw new Error(`start round: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    };
    const inPhase = async (roundId: string, phase: string) => {
      const [r] = await query<{ status: string; phase: string | null; n: number }>(
        "select status, phase, (select count(*)::int from round_metrics where round_id = $1 and phase = $2) as n from rounds where id = $1",
        [roundId, phase],
      );
      if (r && (r.status === "failed" || r.status === "succeeded")) throw new Error(`round ${roundId} ${r.status} before reaching ${phase}`);
      return r?.phase === phase && r.n >= 1;
    };
    const newTrainerBeating = (since: number) => async () => {
      const rows = await query<{ n: number }>("select count(*)::int as n from trainer_workers where started_at > to_timestamp($1 / 1000.0) and last_seen > now() - interval '3 seconds'", [since]);
      return rows[0]!.n > 0;
    };

    // each fault: `prepare` (may take a while: a round reaching its phase), then `inject` at t0, then `recovered`
    const faults: Record<EventName, { prepare?: () => Promise<void>; inject: () => Promise<void>; recovered: (t0: number) => Promise<boolean> }> = {
      burst: {
        inject: async () => {
          const stop = new AbortController();
          const burst = runSimulation({ url: platform.url, projectId, tokens: tokens.slice(ANNOTATORS), oracle: "random", noise: 0, signal: stop.signal, onStep, seed: 11 });
          await sleep(BURST_S * 1000);
          stop.abort();
          await burst;
        },
        recovered: async () => true,
      },
      "kill-web-1": { inject: async () => void process.kill(platform.pid("web"), "SIGKILL"), recovered: async (t0) => platform.said(/web app restarted/, t0) && (await healthy()) },
      "kill-web-2": { inject: async () => void process.kill(platform.pid("web"), "SIGKILL"), recovered: async (t0) => platform.said(/web app restarted/, t0) && (await healthy()) },
      "kill-web-3": { inject: async () => void process.kill(platform.pid("web"), "SIGKILL"), recovered: async (t0) => platform.said(/web app restarted/, t0) && (await healthy()) },
      "kill-trainer-rm": {
        prepare: async () => {
          const id = await startRound(rmProject, {
            phases: ["sft", "reward_model"],
            scratchModel: TINY,
            sft: { epochs: 1, maxTokens: 96 },
            rewardModel: { epochs: 100, patience: 100, batchSize: 8, maxTokens: 96 }, // far longer than the wait: killed in the middle
          });
          await until("the reward-model phase", () => inPhase(id, "reward_model"), 300_000, 500);
        },
        inject: async () => void process.kill(platform.pid("trainer"), "SIGKILL"),
        recovered: (t0) => newTrainerBeating(t0)(),
      },
      "kill-trainer-ppo": {
        prepare: async () => {
          const id = await startRound(ppoProject, {
            phases: ["sft", "reward_model", "policy"],
            scratchModel: TINY,
            sft: { epochs: 1, maxTokens: 96 },
            rewardModel: { epochs: 1, batchSize: 8, maxTokens: 96 },
            policy: { iterations: 10_000, promptsPerIteration: 4, maxNewTokens: 8, miniBatch: 4, ppoEpochs: 1 },
          });
          await until("the PPO phase", () => inPhase(id, "policy"), 300_000, 500);
        },
        inject: async () => void process.kill(platform.pid("trainer"), "SIGKILL"),
        recovered: (t0) => newTrainerBeating(t0)(),
      },
      "restart-postgres": {
        inject: async () => void process.kill(platform.pid("postgres"), "SIGINT"), // a fast shutdown, as pg_ctl stop -m fast
        recovered: async (t0) => platform.said(/PostgreSQL restarted/, t0) && (await healthy()),
      },
      "stall-postgres": {
        inject: async () => {
          const stalled = platform.postgresProcesses();
          for (const pid of stalled) process.kill(pid, "SIGSTOP");
          await sleep(STALL_S * 1000);
          for (const pid of stalled.reverse()) {
            try {
              process.kill(pid, "SIGCONT");
            } catch {
              /* gone */
            }
          }
        },
        recovered: () => healthy(),
      },
    };

    await sleep(BEFORE_S * 1000);
    for (const name of ALL_EVENTS.filter((e) => wanted.includes(e))) {
      const fault = faults[name];
      if (fault.prepare) await fault.prepare();
      const at = Date.now();
      log(`${name}`);
      await fault.inject();
      await until(`recovery from ${name}`, () => fault.recovered(at), 180_000);
      const recovered = Date.now();
      log(`${name}: recovered in ${((recovered - at) / 1000).toFixed(1)} s`);
      await sleep(AFTER_S * 1000);
      events.push({ name, at, recovered, windows: { before: { from: at - BEFORE_S * 1000, to: at }, during: { from: at, to: recovered }, after: { from: recovered, to: recovered + AFTER_S * 1000 } } });
    }

    // 3. stop the load, let leases expire and orphaned rounds be swept, then look
    stopLoad.abort();
    const sim = await human;
    log(`load stopped: ${sim.judgments} judgments acknowledged by the steady annotators, ${sim.errors} refused or given up`);
    await sleep((LEASE_S + 5) * 1000);
    await until("no round left running (the trainers' sweep)", async () => (await query<{ n: number }>("select count(*)::int as n from rounds where status in ('queued', 'running')"))[0]!.n === 0, 180_000, 2_000).catch((err) => log(String(err)));

    for (const e of events) {
      const inWindow = (w: Window) => steps.filter((s) => s.startedAt >= w.from && s.startedAt < w.to).map((s) => s.ms).sort((a, b) => a - b);
      const [before, during, after] = [inWindow(e.windows.before), inWindow(e.windows.during), inWindow(e.windows.after)];
      console.log(
        JSON.stringify({
          bench: "faults",
          event: e.name,
          recover_s: Number(((e.recovered - e.at) / 1000).toFixed(1)),
          p99_before_ms: Math.round(percentile(before, 99)),
          p99_during_ms: Math.round(percentile(during, 99)),
          p99_after_ms: Math.round(percentile(after, 99)),
          steps_before: before.length,
          steps_during: during.length,
          steps_after: after.length,
        }),
      );
    }
    const client = pg1();
    await client.connect();
    try {
      const v = await verdict(client, projectId, acks.acked, acks.conflicting());
      const unit = (k: string) => (k === "acknowledged" || k === "inDatabase" || k === "writtenNotAcknowledged" ? "judgments" : "count");
      for (const [metric, value] of Object.entries(v)) report({ bench: "faults", metric, value, unit: unit(metric) });
    } finally {
      await client.end();
    }
    const all = steps.map((s) => s.ms).sort((a, b) => a - b);
    report({ bench: "faults", metric: "steps_p50", value: percentile(all, 50), unit: "ms" });
    report({ bench: "faults", metric: "steps_retried", value: steps.filter((s) => s.attempts > 1).length, unit: "judgments" });
  } finally {
    stopLoad.abort();
    await closeDb();
    stopSeconds = await platform.stop();
    report({ bench: "faults", metric: "sigterm_stop", value: stopSeconds, unit: "s" });
    const leftovers = platform.console.filter((c) => /did not stop|not stopped after/.test(c.line)).length;
    report({ bench: "faults", metric: "stop_forced", value: leftovers, unit: "count" });
    if (!process.env.BENCH_FAULTS_KEEP) platform.remove();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[faults] failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
