// npm run bench:export — a million judgments out (issue: exports), one process on a fresh
// embedded PostgreSQL. Seeds BENCH_EXPORT_JUDGMENTS judgments (default 1,000,000: 200,000
// pairwise comparisons judged by 5 annotators each) with SQL, analyzes, then streams them:
// - baseline: PostgreSQL's own COPY (SELECT …) TO STDOUT of the same rows: the export's own
//   statement (every judgment with its prompt and responses, in export order), bytes dropped
// - the previous baseline: the same rows read by keyset batches of 1,000 with no formatting
// - every export format through lib/export: raw, pairwise, kwise and sft as NDJSON,
//   pairwise and raw (the widest rows) as CSV and Parquet (BENCH_EXPORT_RUNS picks some,
//   e.g. pairwise_csv,raw_ndjson)
// For each: rows/s, MB/s, ratio to the rows/s of a COPY run right before it (issue 21: at
// least half), the CPU seconds of this process and of PostgreSQL (whatever else the shared
// machine runs, they show which side sets the pace), and the peak growth of the process's resident memory while streaming (the bound the export must keep).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { closeDb, getDb } from "@/lib/db/client";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { runMigrations } from "@/lib/db/migrate";
import { parquetStream } from "@/lib/export/parquet";
import { csvStream, exportRecords, exportSelect, ndjsonStream } from "@/lib/export/stream";
import { createProject } from "@/lib/projects/projects";
import { createUser } from "@/lib/users/users";
import { postgresCpuMs, report, settlePostgres } from "./harness";

const BENCH = "export";
const JUDGMENTS = Number(process.env.BENCH_EXPORT_JUDGMENTS ?? 1_000_000);
const PER_COMPARISON = 5;

async function seed(): Promise<string> {
  const admin = (await createUser({ email: "bench-admin@bench.local", role: "admin", password: "bench-password" })).user;
  const project = await createProject({ name: "export bench", mode: "pairwise", redundancy: PER_COMPARISON }, admin.id);
  const team = [];
  for (let a = 0; a < PER_COMPARISON; a++) team.push((await createUser({ email: `ann${a}@bench.local`, role: "annotator", password: "bench-password" })).user.id);
  const p = project.id;
  const n = JUDGMENTS / PER_COMPARISON;
  const db = getDb();
  const text = "A response of some length, as models write them, with a few sentences of content. ".repeat(3);
  await db.execute(sql`insert into prompts (id, project_id, messages, content_hash)
    select md5(${p} || 'p' || g)::uuid, ${p}, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Question number ' || g || '?')), 'h' || g
    from generate_series(1, ${n}) g`);
  await db.execute(sql`insert into responses (id, prompt_id, text, source, content_hash)
    select md5(${p} || 'r' || g || s)::uuid, md5(${p} || 'p' || g)::uuid, ${text} || g || s, 'model-' || s, s || g
    from generate_series(1, ${n}) g, unnest(array['a', 'b']) s`);
  await db.execute(sql`insert into comparisons (id, project_id, prompt_id, size, response_key, required, judgment_count)
    select md5(${p} || 'c' || g)::uuid, ${p}, md5(${p} || 'p' || g)::uuid, 2, 'k' || g, ${PER_COMPARISON}, ${PER_COMPARISON} from generate_series(1, ${n}) g`);
  await db.execute(sql`insert into comparison_responses (comparison_id, response_id, position)
    select md5(${p} || 'c' || g)::uuid, md5(${p} || 'r' || g || s)::uuid, case s when 'a' then 0 else 1 end
    from generate_series(1, ${n}) g, unnest(array['a', 'b']) s`);
  for (const [a, annotator] of team.entries()) {
    await db.execute(sql`insert into judgments (client_id, comparison_id, project_id, annotator_id, origin, ranking, shown_order, strength, created_at)
      select gen_random_uuid(), md5(${p} || 'c' || g)::uuid, ${p}, ${annotator}, 'simulated',
        case when (g + ${a}) % 4 = 0
          then jsonb_build_array(jsonb_build_array(md5(${p} || 'r' || g || 'b')::uuid), jsonb_build_array(md5(${p} || 'r' || g || 'a')::uuid))
          else jsonb_build_array(jsonb_build_array(md5(${p} || 'r' || g || 'a')::uuid), jsonb_build_array(md5(${p} || 'r' || g || 'b')::uuid)) end,
        jsonb_build_array(md5(${p} || 'r' || g || 'a')::uuid, md5(${p} || 'r' || g || 'b')::uuid), 1 + g % 3,
        now() - (g || ' seconds')::interval
      from generate_series(1, ${n}) g`);
  }
  await db.execute(sql`vacuum (analyze)`); // hint bits set and the visibility map built before any timed read
  await db.execute(sql`checkpoint`); // the seed's dirty pages written now, not by a checkpoint during the first runs
  return p;
}

/** Drains a byte stream; returns bytes and the largest RSS growth seen, sampled per chunk. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<{ bytes: number; peakRssMb: number }> {
  const reader = stream.getReader();
  const base = process.memoryUsage().rss;
  let peak = 0;
  let bytes = 0;
  for (let chunks = 0; ; chunks++) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (chunks % 16 === 0) peak = Math.max(peak, process.memoryUsage().rss - base);
  }
  return { bytes, peakRssMb: peak / 1e6 };
}

/** The baseline: PostgreSQL's own COPY of the same rows to this process, counted and dropped. */
async function copyBaseline(projectId: string): Promise<{ rows: number; bytes: number }> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  let rows = 0;
  let bytes = 0;
  try {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.byteLength;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++; // one line per row: COPY escapes newlines in values
        done();
      },
    });
    // The export's own statement (lib/export/stream.ts); COPY takes no parameters, so they are inlined.
    const { sql: text, params } = new PgDialect().sqlToQuery(exportSelect(projectId, {}, false));
    const inlined = text.replace(/\$(\d+)/g, (_, i: string) => `'${String(params[Number(i) - 1]).replace(/'/g, "''")}'`);
    await pipeline(client.query(copyTo(`copy (${inlined}) to stdout`)), sink);
  } finally {
    await client.end();
  }
  return { rows, bytes };
}

/** The earlier baseline: the export's keyset batches over the same join, rows fetched and dropped. */
async function keysetBaseline(projectId: string): Promise<number> {
  let after: { t: string; id: string } | null = null;
  let rows = 0;
  for (;;) {
    const cursor: SQL = after ? sql`and (j.created_at, j.id) > (${after.t}::timestamptz, ${after.id}::uuid)` : sql``;
    const { rows: batch }: { rows: { id: string; t: string }[] } = await getDb().execute<{ id: string; t: string }>(sql`
      select j.id, j.created_at::text as t, j.ranking, p.messages,
        (select json_agg(json_build_object('id', r.id, 'text', r.text, 'source', r.source) order by cr.position)
           from comparison_responses cr join responses r on r.id = cr.response_id where cr.comparison_id = c.id) as responses
      from judgments j join comparisons c on c.id = j.comparison_id join prompts p on p.id = c.prompt_id
      where j.project_id = ${projectId} ${cursor} order by j.created_at, j.id limit 1000`);
    rows += batch.length;
    if (batch.length < 1000) return rows;
    after = { t: batch.at(-1)!.t, id: batch.at(-1)!.id };
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "arbiter-bench-export-"));
  const embedded = await startEmbeddedPostgres({ dataDir });
  process.env.DATABASE_URL = embedded.url;
  try {
    await runMigrations(embedded.url);
    let t0 = performance.now();
    const projectId = await seed();
    console.error(`seeded ${JUDGMENTS} judgments in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    /** COPY's rate now: taken again right before each export, since the shared VM's speed drifts. */
    const pgCpu = () => postgresCpuMs(path.join(dataDir, "pg")) / 1000;
    const copyRate = async (): Promise<{ rows: number; rate: number }> => {
      const t = performance.now();
      const cpu0 = pgCpu();
      const copied = await copyBaseline(projectId);
      const s = (performance.now() - t) / 1000;
      await settlePostgres();
      report({ bench: BENCH, metric: "copy_rows_per_s", value: copied.rows / s, unit: "rows/s" });
      report({ bench: BENCH, metric: "copy_pg_cpu_s", value: pgCpu() - cpu0, unit: "s" });
      report({ bench: BENCH, metric: "copy_mb_per_s", value: copied.bytes / 1e6 / s, unit: "MB/s" });
      return { rows: copied.rows, rate: copied.rows / s };
    };
    const first = await copyRate();
    t0 = performance.now();
    const keysetRows = await keysetBaseline(projectId);
    let seconds = (performance.now() - t0) / 1000;
    report({ bench: BENCH, metric: "keyset_rows_per_s", value: keysetRows / seconds, unit: "rows/s" });
    report({ bench: BENCH, metric: "keyset_ratio_to_copy", value: keysetRows / seconds / first.rate, unit: "ratio" });

    const secret = "bench-secret";
    const runs = [
      ["raw_ndjson", "raw", (r: AsyncGenerator<object>) => ndjsonStream(r)],
      ["pairwise_ndjson", "pairwise", (r: AsyncGenerator<object>) => ndjsonStream(r)],
      ["kwise_ndjson", "kwise", (r: AsyncGenerator<object>) => ndjsonStream(r)],
      ["sft_ndjson", "sft", (r: AsyncGenerator<object>) => ndjsonStream(r)],
      ["pairwise_csv", "pairwise", (r: AsyncGenerator<object>) => csvStream(r, "pairwise")],
      ["raw_csv", "raw", (r: AsyncGenerator<object>) => csvStream(r, "raw")],
      ["pairwise_parquet", "pairwise", (r: AsyncGenerator<object>) => parquetStream(r, "pairwise")],
      ["raw_parquet", "raw", (r: AsyncGenerator<object>) => parquetStream(r, "raw")],
    ] as const;
    const picked = process.env.BENCH_EXPORT_RUNS?.split(",");
    for (const [name, format, render] of runs.filter(([name]) => !picked || picked.includes(name))) {
      let rows = 0;
      const counted = (async function* () {
        for await (const r of exportRecords(projectId, {}, { format, secret })) {
          rows++;
          yield r;
        }
      })();
      const copy = await copyRate();
      t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const pgCpu0 = pgCpu();
      const { bytes, peakRssMb } = await drain(render(counted));
      seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      await settlePostgres();
      report({ bench: BENCH, metric: `${name}_pg_cpu_s`, value: pgCpu() - pgCpu0, unit: "s" });
      report({ bench: BENCH, metric: `${name}_node_cpu_s`, value: (cpu.user + cpu.system) / 1e6, unit: "s" });
      report({ bench: BENCH, metric: `${name}_rows`, value: rows, unit: "rows" });
      report({ bench: BENCH, metric: `${name}_seconds`, value: seconds, unit: "s" });
      report({ bench: BENCH, metric: `${name}_rows_per_s`, value: rows / seconds, unit: "rows/s" });
      report({ bench: BENCH, metric: `${name}_mb_per_s`, value: bytes / 1e6 / seconds, unit: "MB/s" });
      // sft writes one record per comparison: its rate is counted in judgments read, like COPY's rows
      const read = format === "sft" ? copy.rows : rows;
      report({ bench: BENCH, metric: `${name}_judgments_per_s`, value: read / seconds, unit: "rows/s" });
      report({ bench: BENCH, metric: `${name}_ratio_to_copy`, value: read / seconds / copy.rate, unit: "ratio" });
      report({ bench: BENCH, metric: `${name}_peak_rss_growth_mb`, value: peakRssMb, unit: "MB" });
    }
  } finally {
    await closeDb();
    await embedded.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
