// `arbiter import`: a file on disk into a project, through the same importStream as
// POST /projects/:id/import (so the same formats, datasets, checks and answer).
import { createReadStream } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { Project } from "@/lib/db/schema";
import type { DatasetName } from "./datasets";
import type { FileFormat } from "./file-values";
import { importStream, type ImportProgress, type ImportResult, type OnInvalid } from "./import-stream";

export async function importFile(
  project: Project,
  file: string,
  opts: { format?: FileFormat; dataset?: DatasetName; onInvalid?: OnInvalid; dryRun?: boolean; onProgress?: (p: ImportProgress) => void },
): Promise<ImportResult> {
  const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
  const contentType = /\.csv(\.gz)?$/i.test(file) ? "text/csv" : "";
  // a file on the admin's own disk: no body limit to protect the server with
  return importStream(project, body, { ...opts, contentType, maxBytes: Number.MAX_SAFE_INTEGER, record: { userId: null, fileName: path.basename(file) } });
}
