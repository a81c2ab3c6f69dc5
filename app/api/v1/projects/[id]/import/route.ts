import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { IMPORT_BODY_TYPES } from "@/lib/api/request-guard";
import { parseQuery, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { env } from "@/lib/config/env";
import { DATASETS } from "@/lib/import/datasets";
import { FILE_FORMATS } from "@/lib/import/file-values";
import { UnreadableFileError, UnsupportedRecordsError } from "@/lib/import/import-errors";
import { acquireImportSlot } from "@/lib/import/import-slots";
import { importExternalPolicy, TooManyAnswersError } from "@/lib/import/external-policy";
import { importStream, type ImportProgress, type ImportResult } from "@/lib/import/import-stream";
import { BodyTooLargeError } from "@/lib/import/read-lines";
import { getProject } from "@/lib/projects/projects";

export const maxDuration = 600;

const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");
const querySchema = z
  .object({
    format: z.enum(FILE_FORMATS, { error: `format must be one of ${FILE_FORMATS.join(", ")}` }).optional(),
    dataset: z.enum(DATASETS, { error: `dataset must be one of ${DATASETS.join(", ")}` }).optional(),
    onInvalid: z.enum(["fail", "skip"], { error: "onInvalid must be fail or skip" }).optional(),
    dryRun: flag.optional(),
    progress: flag.optional(),
    /** the file's name, kept in the import's record */
    fileName: z.string().trim().min(1).max(255).optional(),
    /** the body is a new external policy's answers (lib/import/external-policy.ts), NDJSON `{prompt, completion}` lines */
    externalPolicy: flag.optional(),
  })
  .strict();

const PROGRESS_EVERY_MS = 250;
/** An import takes seconds to minutes: come back in a while, not at once. */
const IMPORT_BUSY_RETRY_AFTER_S = 30;

function statusOf(result: ImportResult): number {
  return result.errorCount > 0 ? 400 : result.committed ? 201 : 200;
}

function refusal(err: unknown): never {
  if (err instanceof BodyTooLargeError || err instanceof TooManyAnswersError) throw new ApiError("too_large", err.message);
  if (err instanceof UnreadableFileError || err instanceof UnsupportedRecordsError) throw new ApiError("invalid_input", err.message);
  throw err;
}

/**
 * `?progress=1`: the answer is NDJSON, `{"progress": {bytes, records, invalid}}` lines while
 * the body is read, then `{"status", "result"}` (or `{"status", "error"}`), always HTTP 200
 * since the outcome is known only at the end.
 */
function progressResponse(run: (onProgress: (p: ImportProgress) => void) => Promise<ImportResult>): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const send = (value: unknown) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(`${JSON.stringify(value)}\n`));
        } catch {
          open = false; // the client went away: stop answering (its cut-off body fails the import, which rolls back)
        }
      };
      let last = 0;
      try {
        const result = await run((p) => {
          const now = Date.now();
          if (now - last < PROGRESS_EVERY_MS) return;
          last = now;
          send({ progress: p });
        });
        send({ status: statusOf(result), result });
      } catch (err) {
        try {
          refusal(err);
        } catch (e) {
          const code = e instanceof ApiError ? e.code : "internal";
          if (code === "internal") console.error("import failed", err);
          send({ status: code === "too_large" ? 413 : code === "internal" ? 500 : 400, error: { code, message: e instanceof ApiError ? e.message : "Internal error" } });
        }
      }
      if (open) {
        try {
          controller.close();
        } catch {
          // cancelled by the client meanwhile
        }
      }
    },
  });
  return new Response(stream, { headers: { "content-type": "application/x-ndjson", "cache-control": "no-store" } });
}

/** A file of records (API.md, "Import") → { imported, errors, skipped, detected, … }; by default nothing is written when a line is invalid. */
export const POST = withPermission<{ id: string }>(
  "projects.manage",
  async ({ req, params, user }) => {
    const project = await getProject(uuidParam(params.id, "project"));
    if (!project) throw new ApiError("not_found", "No such project");
    const q = parseQuery(req, querySchema);
    const maxBytes = env().IMPORT_MAX_BYTES;
    const declared = Number(req.headers.get("content-length") ?? "0");
    if (declared > maxBytes) throw new ApiError("too_large", `The import is larger than the limit of ${maxBytes} bytes`);
    if (!req.body) throw new ApiError("invalid_input", "Send the records as the request body");
    const contentType = req.headers.get("content-type") ?? "";
    const body = req.body;
    const release = acquireImportSlot();
    if (!release) throw new ApiError("unavailable", `${env().IMPORT_CONCURRENCY} imports are running on this server; try again when one has finished`, undefined, IMPORT_BUSY_RETRY_AFTER_S);
    if (q.externalPolicy) {
      if (q.format || q.dataset || q.onInvalid || q.dryRun || q.progress) {
        release();
        throw new ApiError("invalid_input", "externalPolicy reads NDJSON {prompt, completion} lines, all or nothing: format, dataset, onInvalid, dryRun and progress do not apply");
      }
      try {
        const result = await importExternalPolicy(project, body, { maxBytes, maxLineBytes: env().IMPORT_LINE_MAX_BYTES, record: { userId: user.id, fileName: q.fileName } }).finally(release);
        return Response.json(result, { status: result.errors.length > 0 ? 400 : 201 });
      } catch (err) {
        refusal(err);
      }
    }
    const run = (onProgress?: (p: ImportProgress) => void) =>
      importStream(project, body, {
        format: q.format ?? (contentType.includes("parquet") ? "parquet" : undefined),
        dataset: q.dataset,
        onInvalid: q.onInvalid,
        contentType,
        maxBytes,
        dryRun: q.dryRun,
        onProgress,
        record: { userId: user.id, fileName: q.fileName },
      }).finally(release);
    if (q.progress) return progressResponse(run);
    try {
      const result = await run();
      return Response.json(result, { status: statusOf(result) });
    } catch (err) {
      refusal(err);
    }
  },
  { bodyTypes: IMPORT_BODY_TYPES },
);
