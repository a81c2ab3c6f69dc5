// One import request: open the body as a file of records (file-values.ts: NDJSON, CSV or
// Parquet, gzipped or not), read them with the dataset's reader (datasets/, detected from
// the first record unless named), validate each, and write in batches inside one
// transaction. By default it commits only if every line was valid; with onInvalid "skip"
// it commits every valid record and lists the lines it left out. Memory holds one batch,
// one dataset group and the listed errors, never the whole file.
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { withLongConnection, type Db } from "@/lib/db/client";
import type { Project } from "@/lib/db/schema";
import { datasetReader, detectDataset, type DatasetName } from "./datasets";
import type { DatasetReader, Emitted } from "./datasets/reader";
import { openImportFile, type FileFormat } from "./file-values";
import { recordImport, type ImportRecordValues } from "./import-record";
import { describeError, refuseReservedSources, type ImportRecord } from "./records";
import { importedAnnotatorId } from "./system-users";
import { RecordBatch } from "./record-batch";
import { emptyCounts, writeBatch, type ImportCounts } from "./write-batch";

export { BATCH_SIZE } from "./record-batch";
export const MAX_LISTED_ERRORS = 1000;

/** The file format; kept under its first name, from when it was the only choice. */
export type ImportFormat = FileFormat;
export type OnInvalid = "fail" | "skip";
export type ImportError = { line: number; message: string };
export type ImportResult = {
  imported: ImportCounts;
  /** invalid lines that stopped the import (onInvalid "fail") */
  errors: ImportError[];
  /** errors in all, when more than MAX_LISTED_ERRORS were found */
  errorCount: number;
  /** invalid lines left out of an import that went ahead (onInvalid "skip") */
  skipped: ImportError[];
  skippedCount: number;
  /** records that passed validation: what an import that skips the invalid lines would write */
  validRecords: number;
  committed: boolean;
  dryRun: boolean;
  /** what was read: the named or detected file format and dataset (null: no record to tell from) */
  detected: { format: FileFormat; gzip: boolean; dataset: DatasetName | null };
  /** the import's row in import_records (not for dry runs, nor when no record was asked for) */
  importId?: string;
};
export type ImportProgress = { bytes: number; records: number; invalid: number };

/** Checks after the record itself is valid: no source name reserved for Arbiter's policies, and what depends on the project. */
function checkAgainstProject(record: ImportRecord, project: Project): void {
  refuseReservedSources(record);
  if (record.ranking && project.mode === "pairwise" && record.responses.length !== 2) {
    throw new Error("this project is pairwise: a ranking must rank exactly 2 responses");
  }
}

class Rollback extends Error {}

/**
 * On a connection of its own (the "long" purpose: DB_LONG_STATEMENT_TIMEOUT_MS), not the
 * requests' pool: a long import neither holds one of the annotators' pooled connections
 * for minutes nor meets their statement limit.
 */
export function importStream(project: Project, body: ReadableStream<Uint8Array>, opts: Parameters<typeof importOn>[3]): Promise<ImportResult> {
  return withLongConnection((db) => importOn(db, project, body, opts));
}

async function importOn(
  db: Db,
  project: Project,
  body: ReadableStream<Uint8Array>,
  opts: {
    format?: FileFormat;
    dataset?: DatasetName;
    onInvalid?: OnInvalid;
    /** the request's content type, a hint for telling CSV from NDJSON */
    contentType?: string;
    maxBytes: number;
    /** longest NDJSON line or CSV row (default IMPORT_LINE_MAX_BYTES); a longer one is an error on its line */
    maxLineBytes?: number;
    dryRun?: boolean;
    /** called as the body is read (every chunk) */
    onProgress?: (p: ImportProgress) => void;
    /** record the import (import_records) as made by this user (null: the command line) from this file */
    record?: { userId: string | null; fileName?: string | null };
  },
): Promise<ImportResult> {
  const skip = opts.onInvalid === "skip";
  const counts = emptyCounts();
  const listed: ImportError[] = [];
  let invalid = 0;
  let valid = 0;
  let bytes = 0;
  const hash = createHash("sha256");
  const startedAt = new Date();
  const progress = () => opts.onProgress?.({ bytes, records: valid, invalid });
  const file = await openImportFile(body, {
    format: opts.format,
    contentType: opts.contentType,
    maxBytes: opts.maxBytes,
    maxLineBytes: opts.maxLineBytes,
    onChunk: (chunk, n) => {
      hash.update(chunk);
      bytes = n;
      progress();
    },
  });
  let dataset: DatasetName | undefined = opts.dataset;
  let reader: DatasetReader | undefined;
  let importId: string | undefined;
  const recordValues = (committed: boolean): ImportRecordValues => ({
    projectId: project.id,
    userId: opts.record!.userId,
    fileName: opts.record!.fileName ?? null,
    format: file.format,
    gzip: file.gzip,
    dataset: dataset ?? null,
    options: { onInvalid: opts.onInvalid ?? "fail", ...(opts.dataset ? { dataset: opts.dataset } : {}), ...(opts.format ? { format: opts.format } : {}) },
    bytes,
    sha256: hash.copy().digest("hex"),
    counts: committed ? counts : emptyCounts(),
    validRecords: valid,
    invalidLines: invalid,
    committed,
    startedAt,
  });
  const fail = (line: number, message: string) => {
    invalid++;
    if (listed.length < MAX_LISTED_ERRORS) listed.push({ line, message });
  };

  try {
    await db.transaction(async (tx) => {
      const annotator = await importedAnnotatorId(tx);
      const batch = new RecordBatch();
      const flush = async () => {
        const records = batch.take();
        // Once any line failed an all-or-nothing import will not commit: keep validating, stop writing.
        if (records.length > 0 && (skip || invalid === 0)) await writeBatch(tx, project, records, annotator, counts);
      };
      const take = async (emitted: Emitted[]) => {
        for (const e of emitted) {
          if ("error" in e) {
            fail(e.line, e.error);
            continue;
          }
          let full = false;
          try {
            checkAgainstProject(e.record, project);
            valid++;
            full = batch.push(e.record);
          } catch (err) {
            fail(e.line, describeError(err));
          }
          if (full) await flush();
        }
      };
      for await (const item of file.values) {
        if (item.parseError) {
          fail(item.line, item.parseError);
          continue;
        }
        reader ??= datasetReader((dataset ??= detectDataset(item.value)), file.format);
        await take(reader.push(item.value, item.line));
      }
      if (reader) await take(reader.end());
      await flush();
      progress();
      if ((invalid > 0 && !skip) || opts.dryRun) throw new Rollback();
      if (opts.record) importId = await recordImport(recordValues(true), tx);
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  const committed = (skip || invalid === 0) && !opts.dryRun;
  if (opts.record && !opts.dryRun && !committed) importId = await recordImport(recordValues(false));
  if (committed && counts.comparisons + counts.responses > 0) {
    // Fresh statistics right away: autovacuum gets to a large import only after a while,
    // and until then the planner, believing the tables small, picks sequential scans that
    // make every tasks/next and submit tens of times slower.
    await db.execute(sql`analyze prompts, responses, comparisons, comparison_responses, judgments`);
  }
  const failed = invalid > 0 && !skip;
  return {
    // An all-or-nothing import with errors wrote nothing: report no partial counts that could be misread.
    imported: failed ? emptyCounts() : counts,
    errors: skip ? [] : listed,
    errorCount: skip ? 0 : invalid,
    skipped: skip ? listed : [],
    skippedCount: skip ? invalid : 0,
    validRecords: valid,
    committed,
    dryRun: opts.dryRun ?? false,
    detected: { format: file.format, gzip: file.gzip, dataset: dataset ?? null },
    ...(importId ? { importId } : {}),
  };
}
