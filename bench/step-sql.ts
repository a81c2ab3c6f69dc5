// npm run bench:step-sql -- [variant.sql ...] — PostgreSQL's own CPU per annotation step:
// one call of arbiter_submit_judgment that also leases the next task (what
// `POST …/judgments?next=1` sends), for the migrated functions and for variants of them.
//
// Why a separate bench: (b) in annotation.ts sums the web app, PostgreSQL and the load
// generator on a VM whose speed drifts by tens of percent within a minute, so a change
// worth 10% of PostgreSQL's work is lost in its noise. Here each variant is loaded into a
// schema of its own (its connection's search_path puts that schema first; the tables stay
// in public), the variants take turns in blocks of steps, and the figure is the backend
// process's own CPU time (utime + stime in /proc), so drift falls on every variant alike
// and nothing else is counted. As in (b), 14 other annotators hold leases at the head of
// the open-comparisons index. Linux only (/proc).
// BENCH_BATCH=n (default 8; 0: none) adds a lane on the migrated functions that submits n
// annotators' steps as one arbiter_submit_judgments call (drizzle/0009), as the web
// process does under load: its figures are per judgment.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { api, makeAnnotators, makeProject, withBenchPlatform } from "./annotation-setup";
import { procCpuMs, report } from "./harness";

const PORT = Number(process.env.BENCH_PORT ?? 3291);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 12);
const STEPS_PER_BLOCK = Number(process.env.BENCH_BLOCK_STEPS ?? 100);
const HOLDERS = 14;
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const SUBMIT_SIGNATURE = "arbiter_submit_judgment(uuid, uuid, uuid, jsonb, integer, boolean, jsonb, text, integer, boolean, text, boolean, integer, integer, integer)";

type Task = { comparisonId: string; responses: { id: string }[] };
/** A connection and its step; `judgments` per step (a batch lane's step is a batch). */
type Lane = { label: string; client: pg.Client; pid: number; step(): Promise<void>; judgments: number; cpuMs: number; wallMs: number };

const ranking = (t: Task) => [[t.responses[0]!.id], [t.responses[1]!.id]];

/** A connection of its own and its backend's pid (for its CPU time in /proc). */
async function connect(databaseUrl: string): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {}); // the server going away at the end is not news
  await client.connect();
  return { client, pid: (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid };
}

// gold first: false, lease 600 s, at most 3 leases, 8 candidates (lib/tasks/next-task.ts)
async function firstTask(client: pg.Client, projectId: string, annotatorId: string): Promise<Task> {
  return (await client.query<{ t: Task }>("select arbiter_next_task($1, $2, null, '{}', false, 600, 3, 8) as t", [projectId, annotatorId])).rows[0]!.t;
}

/** A connection running one variant's functions as one annotator, warmed up. */
async function lane(databaseUrl: string, projectId: string, annotatorId: string, index: number, file: string | null): Promise<Lane> {
  const { client, pid } = await connect(databaseUrl);
  if (file) {
    await client.query(`create schema v${index}; set search_path = v${index}, public;\n${readFileSync(file, "utf8")}`);
    // A variant with other parameters would leave the calls below on the migrated functions.
    const { rows } = await client.query("select to_regprocedure($1) as f", [`v${index}.${SUBMIT_SIGNATURE}`]);
    if (!rows[0].f) {
      await client.end();
      throw new Error(`${file} must define ${SUBMIT_SIGNATURE} (and the functions it calls)`);
    }
  }
  let task = await firstTask(client, projectId, annotatorId);
  const step = async () => {
    const { rows } = await client.query<{ r: { next: Task } }>(
      "select arbiter_submit_judgment($1, $2, $3, $4, 2, false, null, null, null, true, null, false, 600, 3, 8) as r",
      [task.comparisonId, annotatorId, randomUUID(), JSON.stringify(ranking(task))],
    );
    task = rows[0]!.r.next;
  };
  for (let i = 0; i < STEPS_PER_BLOCK; i++) await step();
  return { label: file ? path.basename(file) : "migrated", client, pid, step, judgments: 1, cpuMs: 0, wallMs: 0 };
}

/** A connection submitting `annotatorIds.length` annotators' steps as one batch call per step, warmed up. */
async function batchLane(databaseUrl: string, projectId: string, annotatorIds: string[]): Promise<Lane> {
  const { client, pid } = await connect(databaseUrl);
  const tasks: Task[] = [];
  for (const id of annotatorIds) tasks.push(await firstTask(client, projectId, id));
  const step = async () => {
    // each item: arbiter_submit_judgment's 15 arguments, as the web process's queue sends them
    const items = annotatorIds.map((id, i) => [tasks[i]!.comparisonId, id, randomUUID(), ranking(tasks[i]!), 2, false, null, null, null, true, null, false, 600, 3, 8]);
    const { rows } = await client.query<{ r: { next: Task }[] }>("select arbiter_submit_judgments($1) as r", [JSON.stringify(items)]);
    rows[0]!.r.forEach((r, i) => (tasks[i] = r.next));
  };
  for (let i = 0; i < STEPS_PER_BLOCK / annotatorIds.length; i++) await step();
  return { label: `batch_of_${annotatorIds.length}`, client, pid, step, judgments: annotatorIds.length, cpuMs: 0, wallMs: 0 };
}

async function main() {
  const files = process.argv.slice(2);
  const lanes: Lane[] = [];
  await withBenchPlatform(PORT, {}, async ({ url, databaseUrl, adminToken }) => {
    try {
      const team = await makeAnnotators(HOLDERS + 1 + files.length + BATCH, "sql");
      const projectId = await makeProject(url, adminToken, "step-sql", 30_000, 1, team.map((a) => a.email));
      // The others: a lease each at the head of the index, after some judgments of their own.
      for (const a of team.slice(0, HOLDERS)) {
        let task = (await (await api(url, a.token, "GET", `/api/v1/projects/${projectId}/tasks/next`)).json()) as Task;
        for (let i = 0; i < 20; i++) {
          const res = await api(url, a.token, "POST", `/api/v1/comparisons/${task.comparisonId}/judgments?next=1`, {
            clientId: randomUUID(),
            ranking: ranking(task),
          });
          task = ((await res.json()) as { next: Task }).next;
        }
      }
      const variants = [null, ...files];
      for (const [i, file] of variants.entries()) lanes.push(await lane(databaseUrl, projectId, team[HOLDERS + i]!.id, i, file));
      if (BATCH > 0) lanes.push(await batchLane(databaseUrl, projectId, team.slice(HOLDERS + variants.length).map((a) => a.id)));
      for (let b = 0; b < BLOCKS; b++) {
        for (const l of lanes) {
          const cpu0 = procCpuMs(`/proc/${l.pid}/stat`);
          const t0 = performance.now();
          for (let i = 0; i < STEPS_PER_BLOCK / l.judgments; i++) await l.step();
          l.wallMs += performance.now() - t0;
          l.cpuMs += procCpuMs(`/proc/${l.pid}/stat`) - cpu0;
        }
      }
      // per judgment: a batch lane's blocks round up to whole batches
      const judgments = (l: Lane) => BLOCKS * Math.ceil(STEPS_PER_BLOCK / l.judgments) * l.judgments;
      const cpuUs = (l: Lane) => (l.cpuMs * 1000) / judgments(l);
      for (const l of lanes) {
        report({ bench: "step_sql", metric: `pg_cpu_per_step_us[${l.label}]`, value: cpuUs(l), unit: "us" });
        report({ bench: "step_sql", metric: `wall_per_step_us[${l.label}]`, value: (l.wallMs * 1000) / judgments(l), unit: "us" });
      }
      for (const l of lanes.slice(1)) {
        report({ bench: "step_sql", metric: `pg_cpu_vs_migrated[${l.label}]`, value: cpuUs(l) / cpuUs(lanes[0]!), unit: "ratio" });
      }
    } finally {
      await Promise.all(lanes.map((l) => l.client.end()));
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
