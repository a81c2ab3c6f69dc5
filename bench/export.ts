// npm run bench:export — a million judgments out (issue: exports), one process on a fresh
// embedded PostgreSQL. Seeds BENCH_EXPORT_JUDGMENTS judgments (default 1,000,000: 200,000
// pairwise comparisons judged by 5 annotators each) with SQL, analyzes, then streams them:
// - baseline: the same rows read by the same keyset batches with no formatting
// - raw NDJSON, pairwise NDJSON, pairwise CSV and pairwise Parquet through lib/export
// For each: rows/s, MB/s, ratio to the baseline's rows/s, and the peak growth of the
// process's resident memory while streaming (the bound the export must keep).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql, type SQL } from "drizzle-orm";
import { closeDb, getDb } from "@/lib/db/client";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { runMigrations } from "@/lib/db/migrate";
import { parquetStream } from "@/lib/export/parquet";
import { csvStream, exportRecords, ndjsonStream } from "@/lib/export/stream";
import { createProject } from "@/lib/projects/projects";
import { createUser } from "@/lib/users/users";
import { report } from "./harness";

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
  await db.execute(sql`analyze`);
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

/** The baseline: the export's keyset batches over the same join, rows fetched and dropped. */
async function baseline(projectId: string): Promise<number> {
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

    t0 = performance.now();
    const baseRows = await baseline(projectId);
    const baseRate = baseRows / ((performance.now() - t0) / 1000);
    report({ bench: BENCH, metric: "baseline_rows_per_s", value: baseRate, unit: "rows/s" });

    const secret = "bench-secret";
    const runs = [
      ["raw_ndjson", "raw", (r: AsyncGenerator<object>) => ndjsonStream(r)],
      ["pairwise_ndjson", "pairwise", (r: AsyncGenerator<object>) => ndjsonStream(r)],
      ["pairwise_csv", "pairwise", (r: AsyncGenerator<object>) => csvStream(r, "pairwise")],
      ["pairwise_parquet", "pairwise", (r: AsyncGenerator<object>) => parquetStream(r, "pairwise")],
    ] as const;
    for (const [name, format, render] of runs) {
      let rows = 0;
      const counted = (async function* () {
        for await (const r of exportRecords(projectId, {}, { format, secret })) {
          rows++;
          yield r;
        }
      })();
      t0 = performance.now();
      const { bytes, peakRssMb } = await drain(render(counted));
      const seconds = (performance.now() - t0) / 1000;
      report({ bench: BENCH, metric: `${name}_rows`, value: rows, unit: "rows" });
      report({ bench: BENCH, metric: `${name}_seconds`, value: seconds, unit: "s" });
      report({ bench: BENCH, metric: `${name}_rows_per_s`, value: rows / seconds, unit: "rows/s" });
      report({ bench: BENCH, metric: `${name}_mb_per_s`, value: bytes / 1e6 / seconds, unit: "MB/s" });
      report({ bench: BENCH, metric: `${name}_ratio_to_baseline`, value: rows / seconds / baseRate, unit: "ratio" });
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
