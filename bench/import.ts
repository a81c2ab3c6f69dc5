// npm run bench:import — a million pairwise records in (issue 21), one process on a fresh
// embedded PostgreSQL. Writes BENCH_IMPORT_RECORDS records (default 1,000,000; TRL's
// explicit-prompt form {prompt, chosen, rejected}, responses of about 250 characters) to an
// NDJSON file and a Parquet file (hyparquet-writer, row groups of 10,000), then, each on
// emptied tables:
// - baseline: PostgreSQL's own COPY FROM STDIN of the rows the import makes (prompts,
//   responses, comparisons, comparison_responses, judgments), in one transaction, then the
//   same ANALYZE the import runs
// - the import of each file through importStream, the route's own path
// For each: records/s, the ratio to COPY's records/s, the peak of the process's resident
// memory sampled every 50 ms (the bound the import must keep whatever the file's size), and
// the CPU seconds of this process and of PostgreSQL.
// BENCH_IMPORT_FORMATS picks the files (default ndjson,parquet); BENCH_PG_STATS=1 prints where
// PostgreSQL spent each import's time (pg_stat_statements) to stderr.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql } from "drizzle-orm";
import { fileWriter, ParquetWriter } from "hyparquet-writer";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { responseKey } from "@/lib/comparisons/form-comparisons";
import { closeDb, getDb } from "@/lib/db/client";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { runMigrations } from "@/lib/db/migrate";
import { importStream, type ImportFormat } from "@/lib/import/import-stream";
import { importedAnnotatorId } from "@/lib/import/system-users";
import { createProject, getProject } from "@/lib/projects/projects";
import { createUser } from "@/lib/users/users";
import { postgresCpuMs, report, settlePostgres } from "./harness";

const BENCH = "import";
const RECORDS = Number(process.env.BENCH_IMPORT_RECORDS ?? 1_000_000);
const FORMATS = (process.env.BENCH_IMPORT_FORMATS ?? "ndjson,parquet").split(",").filter(Boolean);
const ROW_GROUP = 10_000;
const FILLER = "A response of some length, as models write them, with a few sentences of content. ".repeat(3);

/** Record i of the data set: a unique prompt and two distinct responses. */
function record(i: number): { prompt: string; chosen: string; rejected: string } {
  return { prompt: `Question number ${i}: what would you answer?`, chosen: `${FILLER}Chosen ${i}.`, rejected: `${FILLER}Rejected ${i}.` };
}

async function writeNdjson(file: string): Promise<void> {
  async function* lines() {
    for (let i = 0; i < RECORDS; i += 1000) {
      let chunk = "";
      for (let k = i; k < Math.min(RECORDS, i + 1000); k++) chunk += JSON.stringify(record(k)) + "\n";
      yield chunk;
    }
  }
  await pipeline(Readable.from(lines()), createWriteStream(file));
}

async function writeParquet(file: string): Promise<void> {
  const writer = new ParquetWriter({
    writer: fileWriter(file),
    schema: [
      { name: "root", num_children: 3 },
      ...["prompt", "chosen", "rejected"].map((name) => ({ name, type: "BYTE_ARRAY" as const, converted_type: "UTF8" as const, repetition_type: "REQUIRED" as const })),
    ],
  });
  for (let i = 0; i < RECORDS; i += ROW_GROUP) {
    const rows = Array.from({ length: Math.min(ROW_GROUP, RECORDS - i) }, (_, k) => record(i + k));
    await writer.write({
      columnData: (["prompt", "chosen", "rejected"] as const).map((name) => ({ name, data: rows.map((r) => r[name]) })),
      rowGroupSize: rows.length,
    });
  }
  await writer.finish();
}

type Measured<T> = { out: T; seconds: number; peakRssMb: number; startRssMb: number; nodeCpuS: number; pgCpuS: number };

/**
 * Runs `fn` and measures it: wall time, the peak resident memory of this process (sampled
 * every 50 ms), and the CPU seconds of this process and of PostgreSQL, which show which
 * side sets the pace whatever else the shared machine runs.
 */
async function measured<T>(pgDataDir: string, fn: () => Promise<T>): Promise<Measured<T>> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const pg0 = postgresCpuMs(pgDataDir);
  try {
    const out = await fn();
    const seconds = (performance.now() - t0) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    const cpu = process.cpuUsage(cpu0);
    await settlePostgres();
    return {
      out,
      seconds,
      peakRssMb: peak / 1e6,
      startRssMb: start / 1e6,
      nodeCpuS: (cpu.user + cpu.system) / 1e6,
      pgCpuS: (postgresCpuMs(pgDataDir) - pg0) / 1000,
    };
  } finally {
    clearInterval(timer);
  }
}

const TABLES = "prompts, responses, comparisons, comparison_responses, judgments";

async function emptyTables(): Promise<void> {
  await getDb().execute(sql.raw(`truncate ${TABLES} cascade`));
  await getDb().execute(sql`checkpoint`);
}

async function tableCounts(): Promise<Record<string, number>> {
  const { rows } = await getDb().execute<Record<string, number>>(sql`select
    (select count(*)::int from prompts) as prompts, (select count(*)::int from responses) as responses,
    (select count(*)::int from comparisons) as comparisons, (select count(*)::int from comparison_responses) as comparison_responses,
    (select count(*)::int from judgments) as judgments`);
  return rows[0]!;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
/** A random-looking but reproducible id, like gen_random_uuid's spread over the index. */
const idOf = (tag: string, i: number) => {
  const h = createHash("md5").update(`${tag}${i}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
/** COPY's text format: backslash, tab, newline and carriage return escaped. */
const copyText = (s: string) => s.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!);

/**
 * The baseline: the rows the import makes for the same records, COPY'd table by table in one
 * transaction (foreign keys checked as in the import), then analyzed like the import.
 */
async function copyBaseline(url: string, projectId: string, annotator: string, required: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const copy = async (table: string, columns: string, row: (i: number) => string) => {
      async function* chunks() {
        for (let i = 0; i < RECORDS; i += 1000) {
          let chunk = "";
          for (let k = i; k < Math.min(RECORDS, i + 1000); k++) chunk += row(k);
          yield chunk;
        }
      }
      await pipeline(Readable.from(chunks()), client.query(copyFrom(`copy ${table} (${columns}) from stdin`)));
    };
    const rowsOf = (i: number) => {
      const r = record(i);
      const ids = [idOf("ra", i), idOf("rb", i)];
      return { r, prompt: idOf("p", i), ids, comparison: idOf("c", i) };
    };
    await client.query("begin");
    await copy("prompts", "id, project_id, messages, content_hash", (i) => {
      const messages = JSON.stringify([{ role: "user", content: record(i).prompt }]);
      return `${idOf("p", i)}\t${projectId}\t${copyText(messages)}\t${sha256(messages)}\n`;
    });
    await copy("responses", "id, prompt_id, text, source, content_hash", (i) => {
      const { r, prompt, ids } = rowsOf(i);
      return `${ids[0]}\t${prompt}\t${copyText(r.chosen)}\tunknown\t${sha256(r.chosen)}\n${ids[1]}\t${prompt}\t${copyText(r.rejected)}\tunknown\t${sha256(r.rejected)}\n`;
    });
    await copy("comparisons", "id, project_id, prompt_id, size, response_key, required, judgment_count", (i) => {
      const { prompt, ids, comparison } = rowsOf(i);
      return `${comparison}\t${projectId}\t${prompt}\t2\t${responseKey(ids)}\t${required}\t1\n`;
    });
    await copy("comparison_responses", "comparison_id, response_id, position", (i) => {
      const { ids, comparison } = rowsOf(i);
      return `${comparison}\t${ids[0]}\t0\n${comparison}\t${ids[1]}\t1\n`;
    });
    await copy("judgments", "client_id, comparison_id, project_id, annotator_id, origin, ranking, shown_order", (i) => {
      const { ids, comparison } = rowsOf(i);
      return `${idOf("j", i)}\t${comparison}\t${projectId}\t${annotator}\timported\t[["${ids[0]}"], ["${ids[1]}"]]\t["${ids[0]}", "${ids[1]}"]\n`;
    });
    await client.query("commit");
    await client.query(`analyze ${TABLES}`);
  } finally {
    await client.end();
  }
}

async function printStatementStats(): Promise<void> {
  const { rows } = await getDb().execute<{ calls: number; plan_ms: number; exec_ms: number; query: string }>(sql`
    select calls, round(total_plan_time::numeric, 1)::float as plan_ms, round(total_exec_time::numeric, 1)::float as exec_ms,
      left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query
    from pg_stat_statements order by total_plan_time + total_exec_time desc limit 15`);
  for (const r of rows) console.error(`${String(r.calls).padStart(7)} plan ${String(r.plan_ms).padStart(8)} ms exec ${String(r.exec_ms).padStart(8)} ms  ${r.query}`);
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(tmpdir(), "arbiter-bench-import-"));
  const pgStats = process.env.BENCH_PG_STATS ? ["shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track_planning=on"] : [];
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(workDir, "db"), settings: pgStats });
  process.env.DATABASE_URL = embedded.url;
  try {
    await runMigrations(embedded.url);
    if (pgStats.length) await getDb().execute(sql`create extension if not exists pg_stat_statements`);
    const admin = (await createUser({ email: "bench-admin@bench.local", role: "admin", password: "bench-password" })).user;
    const created = await createProject({ name: "import bench", mode: "pairwise", redundancy: 3 }, admin.id);
    const project = (await getProject(created.id))!;
    const annotator = await importedAnnotatorId(getDb());

    const files: Record<string, string> = {};
    const t0 = performance.now();
    for (const format of FORMATS) {
      files[format] = path.join(workDir, `records.${format}`);
      await (format === "parquet" ? writeParquet(files[format]) : writeNdjson(files[format]));
      report({ bench: BENCH, metric: `${format}_file_mb`, value: statSync(files[format]).size / 1e6, unit: "MB" });
    }
    console.error(`wrote ${RECORDS} records as ${FORMATS.join(", ")} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    const pgDir = path.join(workDir, "db", "pg");
    await emptyTables();
    const copied = await measured(pgDir, () => copyBaseline(embedded.url, project.id, annotator, project.redundancy));
    const copyRate = RECORDS / copied.seconds;
    report({ bench: BENCH, metric: "copy_records_per_s", value: copyRate, unit: "records/s" });
    report({ bench: BENCH, metric: "copy_peak_rss_mb", value: copied.peakRssMb, unit: "MB" });
    report({ bench: BENCH, metric: "copy_node_cpu_s", value: copied.nodeCpuS, unit: "s" });
    report({ bench: BENCH, metric: "copy_pg_cpu_s", value: copied.pgCpuS, unit: "s" });
    const expected = await tableCounts();
    console.error(`COPY wrote ${JSON.stringify(expected)}`);

    for (const format of FORMATS) {
      await emptyTables();
      if (pgStats.length) await getDb().execute(sql`select pg_stat_statements_reset()`);
      const body = Readable.toWeb(createReadStream(files[format]!, { highWaterMark: 1 << 20 })) as ReadableStream<Uint8Array>;
      const { out: result, seconds, peakRssMb, startRssMb, nodeCpuS, pgCpuS } = await measured(pgDir, () =>
        importStream(project, body, { format: format as ImportFormat, maxBytes: Number.MAX_SAFE_INTEGER }),
      );
      if (!result.committed) throw new Error(`${format} import failed: ${JSON.stringify(result.errors.slice(0, 3))}`);
      if (pgStats.length) await printStatementStats();
      const counts = await tableCounts();
      if (JSON.stringify(counts) !== JSON.stringify(expected)) throw new Error(`${format} import wrote ${JSON.stringify(counts)}, COPY ${JSON.stringify(expected)}`);
      report({ bench: BENCH, metric: `${format}_records`, value: result.imported.records, unit: "records" });
      report({ bench: BENCH, metric: `${format}_seconds`, value: seconds, unit: "s" });
      report({ bench: BENCH, metric: `${format}_records_per_s`, value: RECORDS / seconds, unit: "records/s" });
      report({ bench: BENCH, metric: `${format}_ratio_to_copy`, value: RECORDS / seconds / copyRate, unit: "ratio" });
      report({ bench: BENCH, metric: `${format}_peak_rss_mb`, value: peakRssMb, unit: "MB" });
      report({ bench: BENCH, metric: `${format}_peak_rss_growth_mb`, value: peakRssMb - startRssMb, unit: "MB" });
      report({ bench: BENCH, metric: `${format}_node_cpu_s`, value: nodeCpuS, unit: "s" });
      report({ bench: BENCH, metric: `${format}_pg_cpu_s`, value: pgCpuS, unit: "s" });
    }
  } finally {
    await closeDb();
    await embedded.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
