import { ApiError } from "@/lib/api/errors";
import { closeWhenAccessEnds } from "@/lib/api/access-bound-stream";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { finishExportRecord, startExportRecord } from "@/lib/export/export-record";
import { acquireExportSlot } from "@/lib/export/export-slots";
import { resolveExportQuery } from "@/lib/export/resolve-query";
import { parquetStream } from "@/lib/export/parquet";
import { csvStream, exportRecords, ndjsonStream, type StreamStats } from "@/lib/export/stream";
import { getProject } from "@/lib/projects/projects";

/**
 * The project's judgments in one of API.md's export formats, streamed as NDJSON, CSV or
 * Parquet (?as=); cut off when the caller loses access mid-stream (closeWhenAccessEnds).
 */
export const GET = withPermission<{ id: string }>("projects.manage", async ({ req, params, user, stillAllowed }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const { q, filters, excluded: ids } = await resolveExportQuery(req.url, project);
  if (q.as !== "ndjson" && q.conversational) throw new ApiError("invalid_input", "conversational pairs are message lists: use NDJSON");
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) throw new ApiError("internal", "NEXTAUTH_SECRET is not set: pseudonyms need it");
  // the place is taken here, so a busy server answers 503 rather than a 200 that fails at once
  const slot = acquireExportSlot();
  const { format, as, ...options } = q;
  const recordId = await startExportRecord(project.id, user.id, `${format}.${as}`, { ...options, excludeAnnotators: ids }).catch((err: unknown) => {
    slot();
    throw err;
  });
  const records = exportRecords(project.id, filters, { format: q.format, ties: q.ties, conversational: q.conversational, secret, slot });
  const onDone = (stats: StreamStats) => finishExportRecord(recordId, stats).catch((err) => console.error("[export] record:", err));
  const output = {
    ndjson: { body: () => ndjsonStream(records, onDone), type: "application/x-ndjson; charset=utf-8", ext: "jsonl" },
    csv: { body: () => csvStream(records, q.format, onDone, { formulaGuard: q.csvFormulaGuard }), type: "text/csv; charset=utf-8", ext: "csv" },
    parquet: { body: () => parquetStream(records, q.format, onDone, { arbiter_project: project.id, arbiter_format: q.format }), type: "application/vnd.apache.parquet", ext: "parquet" },
  }[q.as];
  const filename = `${project.name.replace(/[^\w.-]+/g, "-").toLowerCase() || "project"}-${q.format}.${output.ext}`;
  return new Response(closeWhenAccessEnds(output.body(), stillAllowed), {
    headers: {
      "content-type": output.type,
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    },
  });
});
