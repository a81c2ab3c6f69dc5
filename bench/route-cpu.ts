// npm run bench:route-cpu — where (b)'s time goes: CPU per request by process (the web
// app's process and its main thread, PostgreSQL, this load generator) for the bare
// baseline route and the annotation step on both submit paths, in interleaved blocks so
// the VM's drift falls on all alike. Linux only (/proc).
//   BENCH_ROUNDS (5) blocks of BENCH_BLOCK_SECONDS (4) per variant; BENCH_CLIENTS (16).
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { api, makeAnnotators, makeProject, withBenchPlatform } from "./annotation-setup";
import { closedLoop, procCpuMs, report } from "./harness";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BLOCK_SECONDS = Number(process.env.BENCH_BLOCK_SECONDS ?? 4);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const PROMPTS = Number(process.env.BENCH_PROMPTS ?? 40_000);

function pidsWhere(match: (cmdline: string) => boolean): string[] {
  return readdirSync("/proc").filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      return match(readFileSync(`/proc/${p}/cmdline`, "utf8"));
    } catch {
      return false;
    }
  });
}

type PgKind = "backends" | "autovacuum" | "other";
type Cpu = { web: number; webMain: number; webMainWait: number; pg: Map<string, { ms: number; kind: PgKind }>; gen: number };

/** A postgres process by its title: client backends ("postgres: user db host(port) …"), autovacuum workers, the rest (postmaster, WAL writer, checkpointer, io workers, …). */
function pgKind(cmdline: string): PgKind {
  if (cmdline.includes("autovacuum worker")) return "autovacuum";
  const background = /^postgres: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication|io worker|startup|walsummarizer)/;
  return cmdline.startsWith("postgres: ") && !background.test(cmdline) ? "backends" : "other";
}

/** Time in ms a thread has spent runnable but waiting for a CPU (schedstat's second field). */
function runQueueWaitMs(tid: string): number {
  try {
    return Number(readFileSync(`/proc/${tid}/task/${tid}/schedstat`, "utf8").split(" ")[1]) / 1e6;
  } catch {
    return 0;
  }
}

function sample(web: string): Cpu {
  const pg = new Map<string, { ms: number; kind: PgKind }>();
  for (const p of pidsWhere((c) => c.startsWith("postgres") || c.includes("/bin/postgres "))) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${p}/cmdline`, "utf8");
    } catch {
      continue;
    }
    pg.set(p, { ms: procCpuMs(`/proc/${p}/stat`), kind: pgKind(cmdline) });
  }
  const gen = process.cpuUsage();
  return { web: procCpuMs(`/proc/${web}/stat`), webMain: procCpuMs(`/proc/${web}/task/${web}/stat`), webMainWait: runQueueWaitMs(web), pg, gen: (gen.user + gen.system) / 1000 };
}

/** PostgreSQL's CPU between two samples: processes born in between (autovacuum workers) count whole. */
function pgBetween(a: Cpu["pg"], b: Cpu["pg"]): Record<PgKind, number> {
  const ms: Record<PgKind, number> = { backends: 0, autovacuum: 0, other: 0 };
  for (const [pid, t] of b) ms[t.kind] += t.ms - (a.get(pid)?.ms ?? 0);
  return ms;
}

type Task = { comparisonId: string; responses: { id: string }[] };

async function main() {
  if (!existsSync("/proc/self/stat")) throw new Error("bench:route-cpu reads /proc (Linux)");
  await withBenchPlatform(Number(process.env.BENCH_PORT ?? 3291), {}, async ({ url, adminToken }) => {
    const [web] = pidsWhere((c) => c.includes("next-server"));
    if (!web) throw new Error("no next-server process found");
    const team = await makeAnnotators(CLIENTS, "cpu");
    const projectId = await makeProject(url, adminToken, "route-cpu", PROMPTS, 1, team.map((a) => a.email));
    const held: (Task | null)[] = team.map(() => null);

    const step = (nested: boolean) => async (c: number) => {
      const token = team[c]!.token;
      if (!held[c]) {
        const res = await api(url, token, "GET", `/api/v1/projects/${projectId}/tasks/next`);
        if (res.status !== 200) throw new Error(`tasks/next ${res.status}: raise BENCH_PROMPTS`);
        held[c] = (await res.json()) as Task;
      }
      const task = held[c]!;
      const verdict = { clientId: randomUUID(), ranking: [[task.responses[0]!.id], [task.responses[1]!.id]], strength: 2 };
      const res = nested
        ? await api(url, token, "POST", `/api/v1/comparisons/${task.comparisonId}/judgments?next=1`, verdict)
        : await api(url, token, "POST", "/api/v1/judgments?next=1", { comparisonId: task.comparisonId, ...verdict });
      if (res.status !== 201) throw new Error(`submit ${res.status}: ${await res.text()}`);
      held[c] = ((await res.json()) as { next: Task | null }).next;
    };
    const variants: Record<string, (c: number) => Promise<unknown>> = {
      bare: async () => {
        const res = await api(url, null, "POST", "/api/bench/baseline");
        if (res.status !== 200) throw new Error(`baseline ${res.status}`);
      },
      step: step(false),
      step_nested: step(true),
    };
    const run = (seconds: number, once: (c: number) => Promise<unknown>) => closedLoop(seconds, CLIENTS, async (c) => (await once(c), true));
    for (const once of Object.values(variants)) await run(2, once); // warm-up

    const totals = Object.fromEntries(Object.keys(variants).map((k) => [k, { n: 0, seconds: 0, web: 0, webMain: 0, webMainWait: 0, pg: { backends: 0, autovacuum: 0, other: 0 } as Record<PgKind, number>, gen: 0 }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, once] of Object.entries(variants)) {
        const a = sample(web);
        const n = await run(BLOCK_SECONDS, once);
        const b = sample(web);
        const t = totals[name]!;
        t.n += n;
        t.seconds += BLOCK_SECONDS;
        t.web += b.web - a.web;
        t.webMain += b.webMain - a.webMain;
        t.webMainWait += b.webMainWait - a.webMainWait;
        for (const [kind, ms] of Object.entries(pgBetween(a.pg, b.pg))) t.pg[kind as PgKind] += ms;
        t.gen += b.gen - a.gen;
      }
    }
    for (const [name, t] of Object.entries(totals)) {
      const perRequest = (ms: number) => (ms * 1000) / t.n;
      report({ bench: "route-cpu", metric: `${name}_per_s`, value: t.n / t.seconds, unit: "req/s" });
      report({ bench: "route-cpu", metric: `${name}_web_cpu_us`, value: perRequest(t.web), unit: "us" });
      report({ bench: "route-cpu", metric: `${name}_web_main_thread_cpu_us`, value: perRequest(t.webMain), unit: "us" });
      report({ bench: "route-cpu", metric: `${name}_web_main_thread_busy`, value: t.webMain / 1000 / t.seconds, unit: "cores" });
      // runnable but without a CPU: the cores were busy with PostgreSQL, the load generator, …
      report({ bench: "route-cpu", metric: `${name}_web_main_thread_waiting_for_cpu`, value: t.webMainWait / 1000 / t.seconds, unit: "cores" });
      report({ bench: "route-cpu", metric: `${name}_postgres_cpu_us`, value: perRequest(t.pg.backends + t.pg.autovacuum + t.pg.other), unit: "us" });
      for (const kind of ["backends", "autovacuum", "other"] as const) {
        report({ bench: "route-cpu", metric: `${name}_postgres_${kind}_cpu_us`, value: perRequest(t.pg[kind]), unit: "us" });
      }
      report({ bench: "route-cpu", metric: `${name}_load_generator_cpu_us`, value: perRequest(t.gen), unit: "us" });
    }
    report({ bench: "route-cpu", metric: "step_vs_bare", value: totals.step!.n / totals.bare!.n, unit: "ratio" });
    report({ bench: "route-cpu", metric: "step_nested_vs_bare", value: totals.step_nested!.n / totals.bare!.n, unit: "ratio" });
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
