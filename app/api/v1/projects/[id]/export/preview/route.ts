import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { resolveExportQuery } from "@/lib/export/resolve-query";
import { exportPreview } from "@/lib/export/stream";
import { getProject } from "@/lib/projects/projects";

const PREVIEW_RECORDS = 5;

/**
 * What an export with these parameters would hold, before downloading it:
 * { counts: { judgments, comparisons, prompts, annotators }, records: [first 5 records] }.
 * Same query parameters as the export; not recorded as an export.
 */
export const GET = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const { q, filters } = await resolveExportQuery(req.url, project);
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) throw new ApiError("internal", "NEXTAUTH_SECRET is not set: pseudonyms need it");
  const preview = await exportPreview(project.id, filters, { format: q.format, ties: q.ties, conversational: q.conversational, secret }, PREVIEW_RECORDS);
  return Response.json(preview, { headers: { "cache-control": "no-store" } });
});
