// npm run bench:annotation — the annotation hot path over loopback (issue: annotation).
// (a) 200 annotators at a brisk human pace, open loop: each a tasks/next and a submit
//     every 2 s; p50 and p99 of both.
// (b) the highest sustained submit throughput (closed loop, a submit that also returns the
//     next task per step; BENCH_STEP=split: a tasks/next and a submit per step),
//     against the baseline: a bare route of the same app doing one 3-statement transaction.
// (c) tasks/next latency with 1,000,000 judgments in the database.
// The load generator shares the machine's cores with the app and PostgreSQL.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { getDb, usePoolFor } from "@/lib/db/client";
import { api, makeAnnotators, makeProject, withBenchPlatform } from "./annotation-setup";
import { closedLoop, percentile, report, timed } from "./harness";

const PORT = Number(process.env.BENCH_PORT ?? 3290);
const PACE_ANNOTATORS = Number(process.env.BENCH_ANNOTATORS ?? 200);
const PACE_SECONDS = Number(process.env.BENCH_PACE_SECONDS ?? 30);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 15);
const THROUGHPUT_CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 4);
const SEEDED_JUDGMENTS = Number(process.env.BENCH_JUDGMENTS ?? 1_000_000);
/** Which parts to run: BENCH_PHASES=c runs (c) alone. */
const PHASES = process.env.BENCH_PHASES ?? "abc";
const PG_STATS_TRACK = process.env.BENCH_PG_STATS === "all" ? "all" : "top";

type Task = { comparisonId: string; responses: { id: string }[] };

/**
 * One annotator's state: the task on screen. With one request per step (the default) the
 * task comes from the previous submit's `next`; tasks/next is called only when there is
 * none. BENCH_STEP=split sends a tasks/next and a plain submit every step instead.
 */
type Session = { token: string; task: Task | null; split: boolean };
const SPLIT = process.env.BENCH_STEP === "split";
/** The annotator's screen submits to POST /judgments; BENCH_SUBMIT_PATH=nested uses POST /comparisons/:id/judgments. */
const NESTED_SUBMIT = process.env.BENCH_SUBMIT_PATH === "nested";

/** One step: get a task if none is held, submit a verdict. Service times in ms; null when no work is left. */
async function step(url: string, s: Session, projectId: string): Promise<{ nextMs: number | null; submitMs: number } | null> {
  let nextMs: number | null = null;
  if (!s.task || s.split) {
    const [res, ms] = await timed(() => api(url, s.token, "GET", `/api/v1/projects/${projectId}/tasks/next`));
    if (res.status === 204) return null;
    if (res.status !== 200) throw new Error(`tasks/next ${res.status}: ${await res.text()}`);
    s.task = (await res.json()) as Task;
    nextMs = ms;
  }
  const task = s.task!;
  const ranking = [[task.responses[0]!.id], [task.responses[1]!.id]];
  const query = s.split ? "" : "?next=1";
  const verdict = { clientId: randomUUID(), ranking, strength: 2 };
  const [sub, submitMs] = await timed(() =>
    NESTED_SUBMIT
      ? api(url, s.token, "POST", `/api/v1/comparisons/${task.comparisonId}/judgments${query}`, verdict)
      : api(url, s.token, "POST", `/api/v1/judgments${query}`, { comparisonId: task.comparisonId, ...verdict }),
  );
  if (sub.status !== 201) {
    s.task = null;
    throw new Error(`submit ${sub.status}: ${await sub.text()}`);
  }
  s.task = s.split ? null : (((await sub.json()) as { next: Task | null }).next ?? null);
  return { nextMs, submitMs };
}

/**
 * (a) Open loop: each annotator's steps are scheduled every 2 s (staggered) whatever the
 * latency. An annotator's steps run one after another (each needs the task the previous
 * one returned); a step that starts late because the server fell behind counts its wait:
 * its latency is measured from its scheduled time (no coordinated omission).
 */
async function pace(url: string, projectId: string, team: Session[]) {
  const stepMs: number[] = [];
  const next: number[] = [];
  const submit: number[] = [];
  let failed = 0;
  const deadline = Date.now() + PACE_SECONDS * 1000;
  await Promise.all(
    team.map(async (session, i) => {
      for (let t = Date.now() + (2000 * i) / team.length; t < deadline; t += 2000) {
        await new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
        try {
          const r = await step(url, session, projectId);
          if (!r) return;
          const ms = performance.timeOrigin + performance.now() - t;
          stepMs.push(ms);
          if (process.env.BENCH_DEBUG && ms > 100) console.error(`slow step at +${((t - deadline) / 1000 + PACE_SECONDS).toFixed(1)} s: ${ms.toFixed(0)} ms`);
          if (r.nextMs !== null) next.push(r.nextMs);
          submit.push(r.submitMs);
        } catch {
          failed++;
        }
      }
    }),
  );
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  return { step: sorted(stepMs), next: sorted(next), submit: sorted(submit), failed };
}

/** The machine's busy CPU time so far in ms, all processes (/proc/stat, Linux; 0 elsewhere). */
function busyCpuMs(): number {
  if (!existsSync("/proc/stat")) return 0;
  const [user, nice, system, , , irq, softirq] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq!) * 10; // USER_HZ ticks of 10 ms
}

/** Operations per second, and the machine's CPU per operation (µs): it shows a window that background work (autovacuum) fell on. */
async function measuredLoop(seconds: number, clients: number, once: (client: number) => Promise<boolean>): Promise<{ rate: number; cpuUs: number }> {
  const cpu0 = busyCpuMs();
  const done = await closedLoop(seconds, clients, once);
  return { rate: done / seconds, cpuUs: ((busyCpuMs() - cpu0) * 1000) / Math.max(1, done) };
}

/** 1,000,000 judgments written straight by SQL (3 per comparison from a pool of annotators). */
async function seedJudgments(projectId: string, annotatorIds: string[], total: number): Promise<void> {
  const comparisonsNeeded = Math.ceil(total / 3);
  const db = getDb();
  await db.execute(sql`create temporary table bench_annotators as select row_number() over () - 1 as i, id from unnest(${`{${annotatorIds.join(",")}}`}::uuid[]) as id`);
  await db.execute(sql`insert into prompts (id, project_id, messages, content_hash)
    select md5('p' || g)::uuid, ${projectId}, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'seeded prompt ' || g)), 'seed' || g
    from generate_series(1, ${comparisonsNeeded}) g`);
  await db.execute(sql`insert into responses (id, prompt_id, text, source, content_hash)
    select md5('r' || g || s)::uuid, md5('p' || g)::uuid, 'seeded response ' || g || s, s, 'seed' || g || s
    from generate_series(1, ${comparisonsNeeded}) g, unnest(array['a', 'b']) s`);
  await db.execute(sql`insert into comparisons (id, project_id, prompt_id, size, response_key, required, judgment_count)
    select md5('c' || g)::uuid, ${projectId}, md5('p' || g)::uuid, 2, 'seed' || g, 3, 3 from generate_series(1, ${comparisonsNeeded}) g`);
  await db.execute(sql`insert into comparison_responses (comparison_id, response_id, position)
    select md5('c' || g)::uuid, md5('r' || g || s)::uuid, case s when 'a' then 0 else 1 end
    from generate_series(1, ${comparisonsNeeded}) g, unnest(array['a', 'b']) s`);
  const n = annotatorIds.length;
  await db.execute(sql`insert into judgments (client_id, comparison_id, project_id, annotator_id, origin, ranking, shown_order, strength)
    select gen_random_uuid(), md5('c' || g)::uuid, ${projectId}, a.id, 'simulated',
      jsonb_build_array(jsonb_build_array(md5('r' || g || 'a')::uuid), jsonb_build_array(md5('r' || g || 'b')::uuid)),
      jsonb_build_array(md5('r' || g || 'a')::uuid, md5('r' || g || 'b')::uuid), 2
    from generate_series(1, ${comparisonsNeeded}) g cross join generate_series(0, 2) k
    join bench_annotators a on a.i = ((g * 3 + k) % ${n})`);
  await db.execute(sql`analyze`);
}

/** With BENCH_PG_STATS=1: where PostgreSQL spent its time (pg_stat_statements), to stderr; BENCH_PG_STATS=all counts the statements inside functions too. */
async function printStatementStats(): Promise<void> {
  const { rows } = await getDb().execute<{ calls: number; plan_ms: number; exec_ms: number; query: string }>(sql`
    select calls, round(total_plan_time::numeric, 1)::float as plan_ms, round(total_exec_time::numeric, 1)::float as exec_ms,
      left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query
    from pg_stat_statements order by total_plan_time + total_exec_time desc limit 30`);
  for (const r of rows) console.error(`${String(r.calls).padStart(7)} plan ${String(r.plan_ms).padStart(8)} ms exec ${String(r.exec_ms).padStart(8)} ms  ${r.query}`);
}

/** (a) 200 annotators at a brisk human pace, after a warm-up. */
async function paceBench(url: string, adminToken: string): Promise<void> {
  const team = await makeAnnotators(PACE_ANNOTATORS, "pace");
  const paceProject = await makeProject(url, adminToken, "pace", PACE_ANNOTATORS * (PACE_SECONDS / 2 + 2) + 5000, 1, team.map((a) => a.email));
  // Warm-up, not measured: Next.js compiles each route on its first request and the
  // connection pool opens lazily; then every annotator opens their first task (as on
  // arriving at the annotation page; their token and membership lookups happen here).
  // Without the second part, all 200 first requests land in the first two seconds and
  // queue behind each other: BENCHMARKS.md gives that start-up figure too.
  const warm: Session[] = team.slice(0, THROUGHPUT_CLIENTS).map((a) => ({ token: a.token, task: null, split: SPLIT }));
  await closedLoop(5, warm.length, async (c) => (await step(url, warm[c]!, paceProject)) !== null);
  for (const w of warm) if (w.task) await api(url, w.token, "POST", `/api/v1/comparisons/${w.task.comparisonId}/skip`, { reason: "bench warm-up" });
  const sessions: Session[] = team.map((a) => ({ token: a.token, task: null, split: SPLIT }));
  if (!process.env.BENCH_COLD_START) {
    for (let i = 0; i < sessions.length; i += THROUGHPUT_CLIENTS) {
      await Promise.all(
        sessions.slice(i, i + THROUGHPUT_CLIENTS).map(async (s) => {
          const res = await api(url, s.token, "GET", `/api/v1/projects/${paceProject}/tasks/next`);
          s.task = res.status === 200 ? ((await res.json()) as Task) : null;
        }),
      );
    }
  }
  const lat = await pace(url, paceProject, sessions);
  for (const [name, xs] of [["step", lat.step], ["next", lat.next], ["submit", lat.submit]] as const) {
    report({ bench: "annotation", metric: `pace_${name}_p50_ms`, value: percentile(xs, 50), unit: "ms" });
    report({ bench: "annotation", metric: `pace_${name}_p99_ms`, value: percentile(xs, 99), unit: "ms" });
  }
  report({ bench: "annotation", metric: "pace_steps", value: lat.submit.length, unit: "count" });
  report({ bench: "annotation", metric: "pace_failed_steps", value: lat.failed, unit: "count" });
  report({ bench: "annotation", metric: "pace_offered_steps_per_s", value: PACE_ANNOTATORS / 2, unit: "1/s" });
}

/**
 * (b) sustained steps against the bare route, same run. The two alternate in windows
 * (baseline, steps, three times over), so drift in the machine's speed falls on both
 * alike; each figure is the mean rate over its windows. Before them: the import's tables
 * vacuumed, autovacuum left to finish, and 4 s of each as warm-up. With 1 s of warm-up
 * the web process was still busy after the import (by its own CPU: 1.2 cores in the
 * first window, against 0.9 later; what with was not traced), which slowed the light bare route more than the steps
 * and raised the first window's ratio to 0.7–0.95 against 0.55–0.7 later.
 */
async function throughputBench(url: string, adminToken: string): Promise<void> {
  const fast = await makeAnnotators(THROUGHPUT_CLIENTS, "fast");
  const fastProject = await makeProject(url, adminToken, "throughput", 20_000, 1, fast.map((a) => a.email));
  await settleAfterImport();
  const fastSessions: Session[] = fast.map((a) => ({ token: a.token, task: null, split: SPLIT }));
  const bare = async () => (await api(url, null, "POST", "/api/bench/baseline")).status === 200;
  const annotate = async (c: number) => (await step(url, fastSessions[c]!, fastProject)) !== null;
  await closedLoop(WARM_UP_SECONDS, THROUGHPUT_CLIENTS, bare);
  await closedLoop(WARM_UP_SECONDS, THROUGHPUT_CLIENTS, annotate);
  if (process.env.BENCH_PG_STATS) await getDb().execute(sql`select pg_stat_statements_reset()`);
  const windows = Number(process.env.BENCH_WINDOWS ?? 3);
  let baseline = 0;
  let submits = 0;
  for (let w = 0; w < windows; w++) {
    const b = await measuredLoop(THROUGHPUT_SECONDS / windows, THROUGHPUT_CLIENTS, bare);
    const s = await measuredLoop(THROUGHPUT_SECONDS / windows, THROUGHPUT_CLIENTS, annotate);
    if (process.env.BENCH_DEBUG) {
      console.error(`window ${w}: baseline ${b.rate.toFixed(0)}/s at ${b.cpuUs.toFixed(0)} µs CPU each, steps ${s.rate.toFixed(0)}/s at ${s.cpuUs.toFixed(0)} µs, ratio ${(s.rate / b.rate).toFixed(2)}`);
    }
    baseline += b.rate / windows;
    submits += s.rate / windows;
  }
  report({ bench: "annotation", metric: "baseline_tx_per_s", value: baseline, unit: "req/s" });
  report({ bench: "annotation", metric: "submit_per_s", value: submits, unit: "req/s" });
  report({ bench: "annotation", metric: "submit_vs_baseline", value: submits / baseline, unit: "ratio" });
  if (process.env.BENCH_PG_STATS) await printStatementStats();
}

/**
 * Vacuums what an import wrote (the import analyzes it already) and waits (up to 60 s)
 * until no autovacuum worker is busy.
 */
async function settleAfterImport(): Promise<void> {
  await getDb().execute(sql`vacuum prompts, responses, comparisons, comparison_responses, project_members`);
  for (let i = 0; i < 120; i++) {
    const { rows } = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum worker'`);
    if (rows[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** (c) tasks/next with a million judgments in the database. */
async function bigDatabaseBench(url: string, adminToken: string): Promise<void> {
  const crowd = await makeAnnotators(1000, "crowd");
  const bigProject = await makeProject(url, adminToken, "big", 2000, 3, crowd.slice(0, 10).map((a) => a.email));
  const [, seedMs] = await timed(() => seedJudgments(bigProject, crowd.map((a) => a.id), SEEDED_JUDGMENTS));
  const { rows } = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from judgments`);
  report({ bench: "annotation", metric: "judgments_in_db", value: rows[0]!.n, unit: "count" });
  report({ bench: "annotation", metric: "seed_seconds", value: seedMs / 1000, unit: "s" });
  const nextMs: number[] = [];
  const askers: Session[] = crowd.slice(0, 10).map((a) => ({ token: a.token, task: null, split: true }));
  for (let i = 0; i < 300; i++) {
    const r = await step(url, askers[i % 10]!, bigProject);
    if (r?.nextMs) nextMs.push(r.nextMs);
  }
  nextMs.sort((a, b) => a - b);
  report({ bench: "annotation", metric: "next_1M_p50_ms", value: percentile(nextMs, 50), unit: "ms" });
  report({ bench: "annotation", metric: "next_1M_p99_ms", value: percentile(nextMs, 99), unit: "ms" });
}

async function main() {
  usePoolFor("long"); // seeding a million judgments in one statement outlasts a request's 30 s limit
  const pgStats = { EMBEDDED_PG_SETTINGS: `shared_preload_libraries=pg_stat_statements,pg_stat_statements.track_planning=on,pg_stat_statements.track=${PG_STATS_TRACK}` };
  await withBenchPlatform(PORT, process.env.BENCH_PG_STATS ? pgStats : {}, async ({ url, adminToken }) => {
    if (process.env.BENCH_PG_STATS) await getDb().execute(sql`create extension if not exists pg_stat_statements`);
    // BENCH_SQL=file: SQL run before measuring, to compare a variant of the database
    // functions against the migrated ones on the same machine and hour.
    if (process.env.BENCH_SQL) await getDb().execute(sql.raw(readFileSync(process.env.BENCH_SQL, "utf8")));
    if (PHASES.includes("a")) await paceBench(url, adminToken);
    if (PHASES.includes("b")) await throughputBench(url, adminToken);
    if (PHASES.includes("c")) await bigDatabaseBench(url, adminToken);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
