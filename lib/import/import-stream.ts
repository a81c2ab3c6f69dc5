// One import request: stream the body record by record, validate each, write in batches
// inside one transaction, and commit only if every line was valid. Memory holds one batch
// and the error list, never the whole file (100,000 records in one request).
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { parse as parseCsv } from "csv-parse";
import { getDb } from "@/lib/db/client";
import type { Project } from "@/lib/db/schema";
import { BodyTooLargeError, readLines } from "./read-lines";
import { csvRowToRecord, describeError, normalizeRecord, type ImportRecord } from "./records";
import { importedAnnotatorId } from "./system-users";
import { emptyCounts, writeBatch, type ImportCounts } from "./write-batch";

export const BATCH_SIZE = 500;
export const MAX_LISTED_ERRORS = 1000;

export type ImportFormat = "ndjson" | "csv";
export type ImportError = { line: number; message: string };
export type ImportResult = {
  imported: ImportCounts;
  errors: ImportError[];
  /** errors in all, when more than MAX_LISTED_ERRORS were found */
  errorCount: number;
  committed: boolean;
  dryRun: boolean;
};

type Line = { line: number; value?: unknown; parseError?: string };

async function* ndjsonValues(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<Line> {
  for await (const { line, text } of readLines(body, { maxBytes })) {
    if (text.trim() === "") continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (err) {
      yield { line, parseError: `invalid JSON (${err instanceof Error ? err.message : "parse error"})` };
    }
  }
}

async function* limitBytes(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    if (bytes > maxBytes) throw new BodyTooLargeError(maxBytes);
    yield chunk;
  }
}

async function* csvValues(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<Line> {
  const parser = Readable.from(limitBytes(body, maxBytes)).pipe(
    parseCsv({ columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, bom: true, info: true }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { line: info.lines, value: csvRowToRecord(record) };
    }
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw err;
    const e = err as { lines?: number; message?: string };
    yield { line: e.lines ?? 0, parseError: `invalid CSV: ${e.message ?? String(err)}` };
  }
}

/** Checks that depend on the project, after the record itself is valid. */
function checkAgainstProject(record: ImportRecord, project: Project): void {
  if (record.ranking && project.mode === "pairwise" && record.responses.length !== 2) {
    throw new Error("this project is pairwise: a ranking must rank exactly 2 responses");
  }
}

class Rollback extends Error {}

export async function importStream(
  project: Project,
  body: ReadableStream<Uint8Array>,
  opts: { format: ImportFormat; maxBytes: number; dryRun?: boolean },
): Promise<ImportResult> {
  const counts = emptyCounts();
  const errors: ImportError[] = [];
  let errorCount = 0;
  const lines = opts.format === "csv" ? csvValues(body, opts.maxBytes) : ndjsonValues(body, opts.maxBytes);
  const fail = (line: number, message: string) => {
    errorCount++;
    if (errors.length < MAX_LISTED_ERRORS) errors.push({ line, message });
  };

  try {
    await getDb().transaction(async (tx) => {
      const annotator = await importedAnnotatorId(tx);
      let batch: ImportRecord[] = [];
      const flush = async () => {
        // Once any line failed nothing will be committed: keep validating, stop writing.
        if (batch.length > 0 && errorCount === 0) await writeBatch(tx, project, batch, annotator, counts);
        batch = [];
      };
      for await (const item of lines) {
        if (item.parseError) {
          fail(item.line, item.parseError);
          continue;
        }
        try {
          const record = normalizeRecord(item.value);
          checkAgainstProject(record, project);
          batch.push(record);
        } catch (err) {
          fail(item.line, describeError(err));
        }
        if (batch.length >= BATCH_SIZE) await flush();
      }
      await flush();
      if (errorCount > 0 || opts.dryRun) throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  const committed = errorCount === 0 && !opts.dryRun;
  if (committed && counts.comparisons + counts.responses > 0) {
    // Fresh statistics right away: autovacuum gets to a large import only after a while,
    // and until then the planner, believing the tables small, picks sequential scans that
    // make every tasks/next and submit tens of times slower.
    await getDb().execute(sql`analyze prompts, responses, comparisons, comparison_responses, judgments`);
  }
  // With errors nothing was written: report no partial counts that could be misread.
  const imported = errorCount === 0 ? counts : emptyCounts();
  return { imported, errors, errorCount, committed, dryRun: opts.dryRun ?? false };
}
