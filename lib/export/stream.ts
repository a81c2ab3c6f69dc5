// Streams a project's judgments as export records, a batch of rows at a time, so a million
// judgments leave without the server holding them. One statement in a fixed order, read
// through a cursor in one repeatable-read transaction: the export is a single snapshot,
// and PostgreSQL plans and runs the query once (bench:export compares it with COPY of the
// same statement). The same data and filters give the same bytes.
import { createHash } from "node:crypto";
import { sql, type SQL } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import { connectionConfig } from "@/lib/db/client";
import type { Message } from "@/lib/db/schema";
import { kwiseRecord, pairwiseRecords, rawRecord, sftRecord, type ExportFormat, type ExportJudgment } from "./formats";
import { csvHeader, csvLine, type CsvOptions } from "./csv";
import { acquireExportSlot } from "./export-slots";
import { pseudonym } from "./pseudonym";

export const EXPORT_BATCH = 1000;
/** characters of response text kept to share a comparison's responses between its rows */
const SHARED_RESPONSES_TEXT = 4_000_000;

export type ExportFilters = {
  since?: Date;
  until?: Date;
  /** user ids left out, besides annotators excluded for quality */
  excludeAnnotators?: string[];
  round?: string;
  gold?: "include" | "exclude" | "only";
  /** also export annotators excluded for quality (they are left out by default) */
  includeExcluded?: boolean;
  /** only comparisons whose judgments agree at least this much (0..1); see agreementTable */
  minAgreement?: number;
  /**
   * a project criterion (e.g. "harmless"): judgments that gave a verdict on it, exported
   * with that verdict as their ranking (and no strength: strength is the overall verdict's)
   */
  criterion?: string;
};

/** `slot`: an EXPORT_CONCURRENCY place the caller took already (export-slots.ts), released when the export ends. */
export type ExportOptions = { format: ExportFormat; conversational?: boolean; ties?: boolean; secret: string; slot?: () => void };

type Row = {
  id: string;
  comparison_id: string;
  annotator_id: string;
  origin: string;
  ranking: string[][];
  strength: number | null;
  both_bad: boolean;
  criteria: Record<string, string[][]> | null;
  rationale: string | null;
  shown_order: string[];
  duration_ms: number | null;
  created_at: string;
  prompt_id: string;
  messages: Message[];
  responses: { id: string; text: string; source: string }[];
};

type Conn = NodePgDatabase<Record<string, never>>;

function whereClause(projectId: string, f: ExportFilters, withAgreement = true): SQL {
  const parts: SQL[] = [sql`j.project_id = ${projectId}`];
  if (f.since) parts.push(sql`j.created_at >= ${f.since.toISOString()}::timestamptz`);
  if (f.until) parts.push(sql`j.created_at < ${f.until.toISOString()}::timestamptz`);
  if (f.excludeAnnotators?.length) parts.push(sql`not (j.annotator_id = any(${`{${f.excludeAnnotators.join(",")}}`}::uuid[]))`);
  if (f.round) parts.push(sql`c.round_id = ${f.round}`);
  if (f.gold === "exclude") parts.push(sql`not c.is_gold`);
  if (f.gold === "only") parts.push(sql`c.is_gold`);
  if (!f.includeExcluded) {
    parts.push(sql`not exists (select 1 from project_members m
      where m.project_id = j.project_id and m.user_id = j.annotator_id and m.excluded_at is not null)`);
  }
  if (f.criterion !== undefined) parts.push(sql`j.criteria ? ${f.criterion}`);
  if (withAgreement && f.minAgreement !== undefined) {
    parts.push(sql`c.id in (select comparison_id from pg_temp.export_agreement where agreement >= ${f.minAgreement})`);
  }
  return sql.join(parts, sql` and `);
}

/**
 * Per comparison, among the judgments the other filters keep: for every pair of its
 * responses, the share of pairs of judgments that order that pair the same way (x above y,
 * y above x, or tied); pooled over its response pairs. The same pairwise agreement the
 * agreement page reports, per comparison. Comparisons with one judgment have no measured
 * agreement and are left out whenever minAgreement is given. Built once per export in a
 * temporary table on the export's own connection, so batches do not recompute it.
 */
function agreementTable(projectId: string, f: ExportFilters): SQL {
  return sql`create temporary table export_agreement as
    with f as (
      select j.id, j.comparison_id, ${f.criterion !== undefined ? sql`j.criteria -> ${f.criterion}` : sql`j.ranking`} as ranking
      from judgments j join comparisons c on c.id = j.comparison_id
      where ${whereClause(projectId, f, false)}),
    places as (
      select f.id, f.comparison_id, g.ord as place, r.value as response
      from f, jsonb_array_elements(f.ranking) with ordinality g(grp, ord), jsonb_array_elements_text(g.grp) r(value)),
    dirs as (
      select a.comparison_id, a.response as x, b.response as y, sign(a.place - b.place) as d
      from places a join places b on a.id = b.id and a.response < b.response),
    counts as (select comparison_id, x, y, d, count(*)::float8 as n from dirs group by comparison_id, x, y, d),
    per_pair as (
      select comparison_id, sum(n * (n - 1)) / 2 as agree, (sum(n) * (sum(n) - 1)) / 2 as total
      from counts group by comparison_id, x, y)
    select comparison_id, sum(agree) / sum(total) as agreement from per_pair
    group by comparison_id having sum(total) > 0`;
}

/**
 * Every row an export reads, in its order: judgment time (then id), or comparison (then
 * id) for sft, which groups a comparison's judgments. Also what bench:export COPYs.
 * The judgments are ordered in a subquery, and the prompt and the responses' texts are
 * looked up for each row after it: a sort of the wide rows (a million judgments carry a
 * gigabyte of text) spilled to disk and cost a third more than the rest of the export.
 */
export function exportSelect(projectId: string, filters: ExportFilters, byComparison: boolean): SQL {
  // qualified: a bare created_at in the outer order by would name the text column made from it
  const order = (t: string) => sql.raw(byComparison ? `${t}.comparison_id, ${t}.id` : `${t}.created_at, ${t}.id`);
  return sql`
    select s.id, s.comparison_id, s.annotator_id, s.origin, s.ranking, s.strength, s.both_bad, s.criteria, s.rationale,
      s.shown_order, s.duration_ms, to_char(s.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
      s.prompt_id, (select p.messages from prompts p where p.id = s.prompt_id) as messages,
      (select json_agg(json_build_object('id', r.id, 'text', r.text, 'source', r.source) order by cr.position)
         from comparison_responses cr join responses r on r.id = cr.response_id where cr.comparison_id = s.comparison_id) as responses
    from (
      select j.id, j.comparison_id, j.annotator_id, j.origin, j.ranking, j.strength, j.both_bad, j.criteria, j.rationale,
        j.shown_order, j.duration_ms, j.created_at, c.prompt_id
      from judgments j join comparisons c on c.id = j.comparison_id
      where ${whereClause(projectId, filters)}
      order by ${order("j")}) s
    order by ${order("s")}`;
}

function toJudgment(r: Row, annotator: (id: string) => string, criterion?: string): ExportJudgment {
  return {
    id: r.id,
    comparisonId: r.comparison_id,
    annotator: annotator(r.annotator_id),
    origin: r.origin,
    ranking: criterion !== undefined ? r.criteria![criterion]! : r.ranking,
    strength: criterion !== undefined ? null : r.strength,
    bothBad: r.both_bad,
    criteria: r.criteria,
    rationale: r.rationale,
    shownOrder: r.shown_order,
    durationMs: r.duration_ms,
    createdAt: r.created_at,
    promptId: r.prompt_id,
    prompt: r.messages,
    responses: r.responses,
  };
}

/**
 * Runs `fn` on a connection of its own, outside the pool (an export can stream for minutes,
 * and the pool is sized for the annotation hot path, lib/db/client.ts), in one
 * repeatable-read transaction: every statement of the export, the minAgreement table
 * included, sees the same snapshot. The temporary table goes with the connection; closing
 * it ends the transaction, also when the consumer stops early.
 */
async function* onExportConnection<T>(projectId: string, filters: ExportFilters, fn: (db: Conn) => AsyncGenerator<T>, slot?: () => void): AsyncGenerator<T> {
  const release = slot ?? acquireExportSlot();
  // the long-work settings (connect timeout, no request statement timeout); an error on the connection fails its next query, not the process
  const client = new pg.Client({ ...connectionConfig("long"), application_name: "arbiter export" });
  client.on("error", (err) => console.error("[export] connection error:", err.message));
  const db = drizzle(client) as Conn;
  try {
    await client.connect();
    await db.execute(sql`begin isolation level repeatable read`);
    if (filters.minAgreement !== undefined) await db.execute(agreementTable(projectId, filters));
    yield* fn(db);
    await db.execute(sql`commit`);
  } finally {
    release();
    await client.end().catch(() => {});
  }
}

/** Export records one at a time, in a fixed order. */
export function exportRecords(projectId: string, filters: ExportFilters, opts: ExportOptions): AsyncGenerator<object> {
  return onExportConnection(projectId, filters, async function* (db) {
    // A cursor is planned for its first rows by default (right for the preview); an export reads them all.
    await db.execute(sql`set local cursor_tuple_fraction = 1`);
    yield* records(db, projectId, filters, opts);
  }, opts.slot);
}

export type ExportCounts = { judgments: number; comparisons: number; prompts: number; annotators: number };

/**
 * What an export with these filters holds, by SQL, and its first `limit` records: one
 * connection, so a minAgreement table is built once for both.
 */
export async function exportPreview(projectId: string, filters: ExportFilters, opts: ExportOptions, limit: number): Promise<{ counts: ExportCounts; records: object[] }> {
  const gen = onExportConnection(projectId, filters, async function* (db) {
    const { rows } = await db.execute<ExportCounts>(sql`
      select count(*)::int as judgments, count(distinct j.comparison_id)::int as comparisons,
        count(distinct c.prompt_id)::int as prompts, count(distinct j.annotator_id)::int as annotators
      from judgments j join comparisons c on c.id = j.comparison_id
      where ${whereClause(projectId, filters)}`);
    const first: object[] = [];
    for await (const r of records(db, projectId, filters, opts)) {
      first.push(r);
      if (first.length >= limit) break;
    }
    yield { counts: rows[0]!, records: first };
  });
  for await (const preview of gen) return preview;
  throw new Error("export preview: nothing came back");
}

async function* records(db: Conn, projectId: string, filters: ExportFilters, opts: ExportOptions): AsyncGenerator<object> {
  const byComparison = opts.format === "sft";
  // A project has few annotators: each pseudonym's HMAC is computed once per export.
  const pseudonyms = new Map<string, string>();
  const annotator = (id: string) => pseudonyms.get(id) ?? pseudonyms.set(id, pseudonym(id, opts.secret)).get(id)!;
  // A comparison's judgments come close together (its slots are filled at the same time):
  // rows of one comparison share one responses array, so a writer that converts a value once
  // per object (Parquet's JSON columns) does it once per comparison. The arrays kept for
  // that are bounded by their text, so the export's memory stays bounded.
  const sharedResponses = new Map<string, Row["responses"]>();
  let sharedText = 0;
  const share = (row: Row) => {
    const seen = sharedResponses.get(row.comparison_id);
    if (seen) {
      row.responses = seen;
      return;
    }
    const text = (row.responses ?? []).reduce((n, r) => n + r.text.length, 0);
    if (sharedText + text > SHARED_RESPONSES_TEXT) {
      sharedResponses.clear();
      sharedText = 0;
    }
    sharedResponses.set(row.comparison_id, row.responses);
    sharedText += text;
  };
  await db.execute(sql`declare export_rows no scroll cursor for ${exportSelect(projectId, filters, byComparison)}`);
  const fetchNext = () => {
    const batch = db.execute<Row>(sql.raw(`fetch ${EXPORT_BATCH} from export_rows`)).then((r) => r.rows);
    batch.catch(() => {}); // marked handled while it waits unawaited; the await below still throws
    return batch;
  };
  let group: ExportJudgment[] = []; // sft: the judgments of the comparison being read
  // The next batch is asked for as soon as this one arrives, so PostgreSQL reads it while
  // this process formats the current one (both sides busy, on two cores, instead of taking
  // turns): two batches in memory at most.
  let next: Promise<Row[]> | null = fetchNext();
  try {
    while (next) {
      const rows: Row[] = await next;
      next = rows.length < EXPORT_BATCH ? null : fetchNext();
      yield* formatBatch(rows);
    }
  } finally {
    // A consumer that stops early leaves the read-ahead in flight: let it finish before the
    // connection closes, so that its failure is not an unhandled rejection.
    await next?.catch(() => {});
  }
  const record = sftRecord(group, { conversational: opts.conversational });
  if (record) yield record;

  function* formatBatch(rows: Row[]): Generator<object> {
    for (const row of rows) {
      share(row);
      const j = toJudgment(row, annotator, filters.criterion);
      switch (opts.format) {
        case "pairwise":
          yield* pairwiseRecords(j, { conversational: opts.conversational ?? false, ties: opts.ties ?? false });
          break;
        case "kwise":
          yield kwiseRecord(j);
          break;
        case "raw":
          yield rawRecord(j);
          break;
        case "sft":
          if (group.length > 0 && group[0]!.comparisonId !== j.comparisonId) {
            const record = sftRecord(group, { conversational: opts.conversational });
            if (record) yield record;
            group = [];
          }
          group.push(j);
          break;
      }
    }
  }
}

/** What was sent, when the stream has ended: for the export record. */
export type StreamStats = { rows: number; bytes: number; sha256: string };
type OnDone = (stats: StreamStats) => void | Promise<void>;

/** NDJSON bytes of the records, pulled as the client reads. */
export function ndjsonStream(records: AsyncGenerator<object>, onDone?: OnDone): ReadableStream<Uint8Array> {
  return textStream(records, (r) => JSON.stringify(r) + "\n", "", onDone);
}

/** CSV bytes (a header, then a line per record), pulled as the client reads; formulas guarded unless turned off. */
export function csvStream(records: AsyncGenerator<object>, format: ExportFormat, onDone?: OnDone, opts: CsvOptions = { formulaGuard: true }): ReadableStream<Uint8Array> {
  return textStream(records, (r) => csvLine(format, r, opts), csvHeader(format), onDone);
}

function textStream(records: AsyncGenerator<object>, line: (record: object) => string, header: string, onDone?: OnDone): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const hash = createHash("sha256");
  let first = true;
  let rows = 0;
  let bytes = 0;
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    const data = encoder.encode(text);
    hash.update(data);
    bytes += data.byteLength;
    controller.enqueue(data);
  };
  return new ReadableStream({
    async pull(controller) {
      let chunk = first ? header : "";
      first = false;
      for (let k = 0; k < 200; k++) {
        const next = await records.next();
        if (next.done) {
          if (chunk) send(controller, chunk);
          controller.close();
          await onDone?.({ rows, bytes, sha256: hash.digest("hex") });
          return;
        }
        rows++;
        chunk += line(next.value);
      }
      send(controller, chunk);
    },
    async cancel() {
      await records.return(undefined);
    },
  });
}
